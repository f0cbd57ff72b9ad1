/* ceiling.c -- bench_ceiling: the least a libmicrohttpd TLS webhook can cost.
 *
 * Answers every POST with one fixed AdmissionReview response after reading
 * and dropping the body, and GET /readyz with 200.  It runs libmicrohttpd
 * the way tollgate's server does (internal polling thread, epoll, a pool
 * of --threads, the same TLS priority string and connection limits), so the
 * harness can subtract the cost of TLS and HTTP from tollgate's: whatever
 * tollgate spends beyond this server per request is its own work (decode,
 * evaluate, encode, log, count).  Not a product: no policy, no logging, no
 * reloads.  Stops on SIGTERM or SIGINT.
 */
#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* The same as server.c's: the cipher suite decides the per-byte TLS cost. */
static char tls_priorities[] =
    "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
    "-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:"
    "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:"
    "-RSA:-DHE-RSA:-SHA1:%SERVER_PRECEDENCE";

/* What tollgate answers a compliant typical review with, near enough in
 * length that the TLS cost of sending it is the same. */
static char answer[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
    "\"response\":{\"uid\":\"705ab4f5-6393-11e8-b7cc-42010a800002\","
    "\"allowed\":true}}";
static char ready[] = "{\"status\":\"ok\"}";

struct options {
    unsigned short port;
    unsigned threads;
    const char *cert, *key;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* A whole file as a NUL-terminated string (MHD wants PEM text); NULL on
 * failure, with errno set. */
static char *slurp(const char *path)
{
    char *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0)
        goto out;
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    data = malloc((size_t)size + 1);
    if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
        goto out;
    }
    if (data)
        data[size] = '\0';
out:
    fclose(f);
    return data;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *data_len, void **con_cls)
{
    static int headers_seen; /* a marker address: "this request is under way" */
    (void)cls;
    (void)url;
    (void)version;
    (void)data;
    if (!*con_cls) {
        *con_cls = &headers_seen;
        return MHD_YES;
    }
    if (*data_len > 0) {
        *data_len = 0; /* read and dropped, as a webhook reads it once */
        return MHD_YES;
    }
    bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    char *body = post ? answer : ready;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i];
        const char *v = argv[i + 1];
        char *end = NULL;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        bool number = errno == 0 && end != v && *end == '\0';
        if (strcmp(a, "--port") == 0 && number && n > 0 && n < 65536)
            o->port = (unsigned short)n;
        else if (strcmp(a, "--threads") == 0 && number && n > 0 && n <= 64)
            o->threads = (unsigned)n;
        else if (strcmp(a, "--tls-cert") == 0)
            o->cert = v;
        else if (strcmp(a, "--tls-key") == 0)
            o->key = v;
        else
            return -1;
    }
    return (argc % 2 == 1 && o->port && o->cert && o->key) ? 0 : -1;
}

static struct MHD_Daemon *start(const struct options *o, char *cert, char *key)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(o->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     MHD_USE_EPOLL | MHD_USE_TLS;
    struct MHD_OptionItem pool[] = {
        {o->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, o->threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    return MHD_start_daemon(
        flags, 0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
        MHD_OPTION_HTTPS_PRIORITIES, tls_priorities, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024) /* as server.c */,
        MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_ARRAY, pool, MHD_OPTION_END);
}

int main(int argc, char **argv)
{
    struct options o = {.threads = 2};
    if (parse_args(argc, argv, &o) != 0) {
        fprintf(stderr, "Usage: bench_ceiling --port N --tls-cert FILE --tls-key FILE "
                        "[--threads N]\n");
        return 2;
    }
    char *cert = slurp(o.cert);
    char *key = slurp(o.key);
    struct MHD_Daemon *d = NULL;
    int status = 1;
    if (!cert || !key) {
        fprintf(stderr, "bench_ceiling: cannot read %s: %s\n", cert ? o.key : o.cert,
                strerror(errno));
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    d = start(&o, cert, key);
    if (!d) {
        fprintf(stderr, "bench_ceiling: cannot listen on 127.0.0.1:%u\n", o.port);
        goto out;
    }
    while (!stop)
        pause(); /* the daemon's threads do the work */
    status = 0;
out:
    if (d)
        MHD_stop_daemon(d);
    free(cert);
    free(key);
    return status;
}
