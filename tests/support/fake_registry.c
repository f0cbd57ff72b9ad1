/* fake_registry.c -- scripted libmicrohttpd server for registry tests. */
#include "fake_registry.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct fake_registry {
    struct MHD_Daemon *d;
    struct fake_route *routes;
    size_t n;
    pthread_mutex_t lock; /* guards hits */
    char host[32];
};

static enum MHD_Result reply(struct MHD_Connection *conn, const struct fake_route *r,
                             int status)
{
    const char *body = r && r->body ? r->body : "";
    size_t len = r && r->body_len ? r->body_len : strlen(body);
    char *copy = malloc(len + 1); /* MHD wants a mutable buffer to own */
    if (!copy)
        return MHD_NO;
    memcpy(copy, body, len);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(copy);
        return MHD_NO;
    }
    if (r && r->content_type)
        MHD_add_response_header(resp, "Content-Type", r->content_type);
    if (r && r->digest)
        MHD_add_response_header(resp, "Docker-Content-Digest", r->digest);
    if (r && r->location)
        MHD_add_response_header(resp, "Location", r->location);
    if (r && r->challenge && status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", r->challenge);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    struct fake_registry *fr = cls;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    for (size_t i = 0; i < fr->n; i++) {
        struct fake_route *r = &fr->routes[i];
        if (strcmp(r->path, url) != 0)
            continue;
        const char *authz =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        pthread_mutex_lock(&fr->lock);
        r->hits++;
        r->heads += strcmp(method, "HEAD") == 0;
        r->authorized += authz != NULL;
        pthread_mutex_unlock(&fr->lock);
        if (r->need_auth && (!authz || strcmp(authz, r->need_auth) != 0))
            return reply(conn, r, 401);
        return reply(conn, r, r->status);
    }
    return reply(conn, NULL, 404);
}

struct fake_registry *fake_registry_start(struct fake_route *routes, size_t n)
{
    struct fake_registry *fr = calloc(1, sizeof(*fr));
    if (!fr)
        return NULL;
    fr->routes = routes;
    fr->n = n;
    pthread_mutex_init(&fr->lock, NULL);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fr->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, fr,
                             MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_CONNECTION_TIMEOUT,
                             10U, MHD_OPTION_END);
    if (!fr->d) {
        free(fr);
        return NULL;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(fr->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(fr->host, sizeof(fr->host), "127.0.0.1:%u", (unsigned)info->port);
    return fr;
}

const char *fake_registry_host(const struct fake_registry *fr)
{
    return fr->host;
}

void fake_registry_stop(struct fake_registry *fr)
{
    if (!fr)
        return;
    MHD_stop_daemon(fr->d);
    pthread_mutex_destroy(&fr->lock);
    free(fr);
}

int silent_listener_open(char *host, size_t host_len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t alen = sizeof(addr);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(fd, 16) != 0 || getsockname(fd, (struct sockaddr *)&addr, &alen) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    snprintf(host, host_len, "127.0.0.1:%u", (unsigned)ntohs(addr.sin_port));
    return fd;
}

void fake_sha256(const char *data, size_t len, char out[72])
{
    unsigned char md[32];
    EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
    memcpy(out, "sha256:", 7);
    for (size_t i = 0; i < sizeof(md); i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}
