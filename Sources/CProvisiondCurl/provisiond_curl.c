#include "provisiond_curl.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t global_init_once = PTHREAD_ONCE_INIT;

static void global_init(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct upload_state {
    const char *data;
    size_t length;
    size_t offset;
} upload_state;

static size_t read_message(char *buffer, size_t size, size_t count, void *userdata) {
    upload_state *state = (upload_state *)userdata;
    size_t room = size * count;
    size_t left = state->length - state->offset;
    size_t chunk = left < room ? left : room;
    memcpy(buffer, state->data + state->offset, chunk);
    state->offset += chunk;
    return chunk;
}

int provisiond_smtp_send(const provisiond_smtp_request *request, char *error_text, size_t error_text_size) {
    pthread_once(&global_init_once, global_init);
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(error_text, error_text_size, "libcurl could not start a transfer");
        return CURLE_FAILED_INIT;
    }
    char curl_error[CURL_ERROR_SIZE];
    curl_error[0] = '\0';
    upload_state state = { request->message, request->message_length, 0 };
    struct curl_slist *recipients = curl_slist_append(NULL, request->mail_rcpt);

    curl_easy_setopt(curl, CURLOPT_URL, request->url);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, request->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, request->timeout_ms);
    /* The server certificate is always verified. */
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (request->require_tls) curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (request->ca_file != NULL) curl_easy_setopt(curl, CURLOPT_CAINFO, request->ca_file);
    if (request->username != NULL) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, request->username);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, request->password != NULL ? request->password : "");
    }
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, request->mail_from);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)request->message_length);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(curl, CURLOPT_READDATA, &state);

    CURLcode result = curl_easy_perform(curl);
    if (result != CURLE_OK) {
        long response = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response);
        snprintf(error_text, error_text_size, "%s%s%s (server reply %ld)",
                 curl_easy_strerror(result), curl_error[0] ? ": " : "", curl_error, response);
    }
    curl_slist_free_all(recipients);
    curl_easy_cleanup(curl);
    return (int)result;
}
