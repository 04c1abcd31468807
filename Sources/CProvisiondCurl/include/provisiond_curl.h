#ifndef PROVISIOND_CURL_H
#define PROVISIOND_CURL_H

#include <stddef.h>

/* Typed wrappers over libcurl's easy API for one SMTP transfer.
 * curl_easy_setopt is variadic, which Swift does not import. */

typedef struct provisiond_smtp_request {
    const char *url;          /* smtp://host:port or smtps://host:port */
    int require_tls;          /* 1: STARTTLS required (CURLUSESSL_ALL) */
    const char *username;     /* NULL: no AUTH */
    const char *password;
    const char *ca_file;      /* NULL: the system's trust store */
    const char *mail_from;    /* bare address */
    const char *mail_rcpt;    /* bare address */
    const char *message;      /* the whole RFC 5322 message, CRLF line ends */
    size_t message_length;
    long timeout_ms;
} provisiond_smtp_request;

/* 0 on success; otherwise libcurl's error code, with a description (never
 * the password or the message) written into error_text. */
int provisiond_smtp_send(const provisiond_smtp_request *request, char *error_text, size_t error_text_size);

#endif
