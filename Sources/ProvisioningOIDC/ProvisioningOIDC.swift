// OpenID Connect id_token verification.
