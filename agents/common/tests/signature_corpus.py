"""Error lines the mainstream runtimes, libraries and services print, each with the cause category
its signature must give, and decoys: lines that must NOT read as a given category.

Only the message texts are taken from the software (the surrounding host names, ids and numbers
are made up); each entry cites where the text comes from: the library's source (repository and
file), its documentation, or a public issue that quotes the line as the software printed it.
"""

# ruff: noqa: E501  (log lines and their sources are quoted whole)

from __future__ import annotations

from typing import NamedTuple


class Line(NamedTuple):
    text: str
    category: str  # a CauseCategory value
    source: str


class Decoy(NamedTuple):
    text: str
    not_category: str  # the category this line must not be given
    source: str


DNS = "network_failure"
TLS = "certificate_expired"
DEP = "dependency_failure"
NET = "network_failure"
POOL = "resource_pool_exhaustion"
RATE = "rate_limited"
PERM = "permission_denied"
DISK = "disk_full"
OOM = "oom"
CONFIG = "bad_config"
PROBE = "probe_failure"
PULL = "image_pull"
STORAGE = "storage_failure"

CORPUS: list[Line] = [
    # ------------------------------------------------------------------ DNS, per runtime
    Line(
        "socket.gaierror: [Errno -3] Temporary failure in name resolution",
        DNS,
        "glibc gai_strerror EAI_AGAIN text (sysdeps/posix/gai_strerror-strs.h); CPython Modules/socketmodule.c",
    ),
    Line(
        "urllib3.exceptions.NameResolutionError: <urllib3.connection.HTTPSConnection object at 0x7f2c1a0b3d90>: "
        "Failed to resolve 'api.partner.example' ([Errno -2] Name or service not known)",
        DNS,
        "urllib3 src/urllib3/exceptions.py NameResolutionError (2.x)",
    ),
    Line(
        "Error: getaddrinfo ENOTFOUND orders-db.internal", DNS, "nodejs lib/internal/errors.js dnsException"
    ),
    Line(
        "Error: getaddrinfo EAI_AGAIN redis.cache.svc.cluster.local",
        DNS,
        "nodejs lib/internal/errors.js dnsException",
    ),
    Line(
        "Error: querySrv ENOTFOUND _mongodb._tcp.cluster0.abcde.mongodb.net",
        DNS,
        "nodejs docs, dns error codes (nodejs.org/api/dns.html#error-codes); c-ares query errors",
    ),
    Line("Error: queryA ETIMEOUT payments.internal", DNS, "nodejs docs, dns error codes (dns.TIMEOUT)"),
    Line(
        "java.net.UnknownHostException: kafka-0.kafka-headless.streaming.svc.cluster.local: Name or service not known",
        DNS,
        "OpenJDK java.base/unix/native/libnet/Inet6AddressImpl.c",
    ),
    Line(
        "java.net.UnknownHostException: orders-db: Temporary failure in name resolution",
        DNS,
        "OpenJDK Inet6AddressImpl.c (gai_strerror text)",
    ),
    Line(
        "dial tcp: lookup orders-db.prod.svc.cluster.local on 10.96.0.10:53: no such host",
        DNS,
        "Go src/net/net.go errNoSuchHost",
    ),
    Line(
        "dial tcp: lookup api.stripe.com on 10.96.0.10:53: server misbehaving",
        DNS,
        "Go src/net/dnsclient_unix.go errServerMisbehaving",
    ),
    Line(
        "dial tcp: lookup auth.internal on 10.96.0.10:53: read udp 10.244.3.17:41234->10.96.0.10:53: i/o timeout",
        DNS,
        "Go src/net (DNSError wrapping a read timeout)",
    ),
    Line(
        "System.Net.Http.HttpRequestException: Name or service not known (inventory.internal:80)",
        DNS,
        "dotnet/runtime System.Net.Http SocketsHttpHandler ConnectHelper (SocketException message + host:port)",
    ),
    Line(
        "System.Net.Sockets.SocketException (11001): No such host is known.",
        DNS,
        "dotnet/runtime SocketError.HostNotFound (WSAHOST_NOT_FOUND text)",
    ),
    Line(
        "SocketError: Failed to open TCP connection to api.partner.example:443 (getaddrinfo: Name or service not known)",
        DNS,
        "ruby lib/net/http.rb connect (Failed to open TCP connection to ...)",
    ),
    Line(
        "Socket::ResolutionError: getaddrinfo: Temporary failure in name resolution",
        DNS,
        "ruby ext/socket raising Socket::ResolutionError (3.3)",
    ),
    Line(
        "curl: (6) Could not resolve host: billing.internal",
        DNS,
        "curl docs libcurl-errors CURLE_COULDNT_RESOLVE_HOST",
    ),
    Line(
        'psycopg2.OperationalError: could not translate host name "orders-db" to address: '
        "Temporary failure in name resolution",
        DNS,
        "postgres src/interfaces/libpq/fe-connect.c",
    ),
    Line(
        "ERROR 2005 (HY000): Unknown MySQL server host 'orders-db' (-2)",
        DNS,
        "MySQL client error reference CR_UNKNOWN_HOST (2005)",
    ),
    Line(
        "redis.exceptions.ConnectionError: Error -2 connecting to redis-master:6379. Name or service not known.",
        DNS,
        "redis-py redis/connection.py _error_message",
    ),
    Line(
        "io.netty.resolver.dns.DnsResolveContext$SearchDomainUnknownHostException: Failed to resolve 'inventory' "
        "and search domain query for configured domains failed as well: [prod.svc.cluster.local]",
        DNS,
        "netty resolver-dns DnsResolveContext",
    ),
    Line(
        "inventory.prod.svc.cluster.local could not be resolved (3: Host not found)",
        DNS,
        'nginx src/core/ngx_resolver.c ("%V could not be resolved (%i: %s)")',
    ),
    Line(
        "rpc error: code = Unavailable desc = name resolver error: produced zero addresses",
        DNS,
        "grpc-go resolver_wrapper / clientconn (produced zero addresses)",
    ),
    # ------------------------------------------------------------------ TLS / x509, per runtime
    Line(
        'Get "https://payments.partner.example/v2/charges": tls: failed to verify certificate: x509: certificate '
        "has expired or is not yet valid: current time 2024-03-14T09:12:03Z is after 2024-03-13T23:59:59Z",
        TLS,
        "Go src/crypto/x509/verify.go CertificateInvalidError Expired",
    ),
    Line(
        "x509: certificate signed by unknown authority",
        TLS,
        "Go src/crypto/x509/verify.go UnknownAuthorityError",
    ),
    Line(
        "x509: certificate is valid for *.internal.example, not payments.partner.example",
        TLS,
        "Go src/crypto/x509/verify.go HostnameError",
    ),
    Line("remote error: tls: handshake failure", TLS, "Go src/crypto/tls/alert.go (alertHandshakeFailure)"),
    Line(
        "javax.net.ssl.SSLHandshakeException: PKIX path building failed: "
        "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to "
        "requested target",
        TLS,
        "OpenJDK sun.security.validator.PKIXValidator",
    ),
    Line(
        "java.security.cert.CertificateExpiredException: NotAfter: Wed Mar 13 23:59:59 UTC 2024",
        TLS,
        "OpenJDK sun.security.x509.CertificateValidity",
    ),
    Line(
        "java.security.cert.CertificateException: No subject alternative names matching IP address 10.0.4.12 found",
        TLS,
        "OpenJDK sun.security.util.HostnameChecker",
    ),
    Line(
        "javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_unknown",
        TLS,
        "OpenJDK sun.security.ssl.Alert",
    ),
    Line(
        "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has "
        "expired (_ssl.c:1006)",
        TLS,
        "CPython Modules/_ssl.c fill_and_set_sslerror",
    ),
    Line(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for "
        "'api.partner.example'. (_ssl.c:1006)",
        TLS,
        "CPython Modules/_ssl.c (X509_V_ERR_HOSTNAME_MISMATCH)",
    ),
    Line(
        "ssl.SSLError: [SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca (_ssl.c:1006)",
        TLS,
        "OpenSSL ssl/ssl_err.c SSL_R_TLSV1_ALERT_UNKNOWN_CA",
    ),
    Line(
        "Error: unable to verify the first certificate",
        TLS,
        "OpenSSL X509_verify_cert_error_string (UNABLE_TO_VERIFY_LEAF_SIGNATURE), as Node reports it",
    ),
    Line(
        "Error: self-signed certificate in certificate chain",
        TLS,
        "OpenSSL X509_verify_cert_error_string (SELF_SIGNED_CERT_IN_CHAIN)",
    ),
    Line(
        "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: "
        "api.partner.example. is not in the cert's altnames: DNS:*.other.example",
        TLS,
        "nodejs lib/tls.js checkServerIdentity",
    ),
    Line(
        "System.Security.Authentication.AuthenticationException: The remote certificate is invalid according to the "
        "validation procedure: RemoteCertificateNameMismatch, RemoteCertificateChainErrors",
        TLS,
        "dotnet/runtime System.Net.Security SR.net_ssl_io_cert_custom_validation",
    ),
    Line(
        "System.Net.Http.HttpRequestException: The SSL connection could not be established, see inner exception.",
        TLS,
        "dotnet/runtime System.Net.Http SR.net_http_ssl_connection_failed",
    ),
    Line(
        "OpenSSL::SSL::SSLError: SSL_connect returned=1 errno=0 peeraddr=203.0.113.7:443 state=error: certificate "
        "verify failed (certificate has expired)",
        TLS,
        "ruby ext/openssl/ossl_ssl.c ossl_start_ssl",
    ),
    Line(
        "curl: (60) SSL: no alternative certificate subject name matches target host name 'api.partner.example'",
        TLS,
        "curl lib/vtls/openssl.c verifyhost",
    ),
    Line(
        "upstream SSL certificate verify error: (10:certificate has expired) while SSL handshaking to upstream",
        TLS,
        "nginx src/event/ngx_event_openssl.c ngx_ssl_check_host / upstream verify",
    ),
    Line(
        "upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport "
        "failure reason: TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED",
        TLS,
        "envoy source/common/router (transport failure reason) with BoringSSL error string",
    ),
    Line(
        "org.apache.kafka.common.errors.SslAuthenticationException: SSL handshake failed",
        TLS,
        "apache/kafka clients SslTransportLayer",
    ),
    # ------------------------------------------------------------------ refused / reset / timeouts, per runtime
    Line(
        "java.net.ConnectException: Connection refused (Connection refused)",
        DEP,
        "OpenJDK PlainSocketImpl (JDK 8-12)",
    ),
    Line("ConnectionRefusedError: [Errno 111] Connection refused", DEP, "CPython OSError errno ECONNREFUSED"),
    Line(
        "requests.exceptions.ConnectionError: HTTPConnectionPool(host='inventory', port=8080): Max retries exceeded "
        "with url: /stock (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f8a>: "
        "Failed to establish a new connection: [Errno 111] Connection refused'))",
        DEP,
        "urllib3 src/urllib3/connectionpool.py MaxRetryError; connection.py NewConnectionError",
    ),
    Line(
        "Error: connect ECONNREFUSED 10.0.12.7:5432",
        DEP,
        "nodejs lib/internal/errors.js exceptionWithHostPort",
    ),
    Line("Error: read ECONNRESET", DEP, "nodejs lib/internal/errors.js (uvException)"),
    Line("Error: socket hang up", DEP, "nodejs lib/_http_client.js socketOnEnd (connResetException)"),
    Line(
        "dial tcp 10.0.12.7:5432: connect: connection refused",
        DEP,
        "Go src/net (OpError + syscall.ECONNREFUSED)",
    ),
    Line(
        "read tcp 10.244.1.5:53422->10.0.12.7:6379: read: connection reset by peer",
        DEP,
        "Go src/net (OpError + syscall.ECONNRESET)",
    ),
    Line(
        'Post "http://ledger.internal/v1/entries": context deadline exceeded (Client.Timeout exceeded while awaiting '
        "headers)",
        DEP,
        "Go src/net/http/client.go",
    ),
    Line("dial tcp 10.0.12.7:443: connect: connection timed out", NET, "Go src/net (syscall.ETIMEDOUT)"),
    Line("java.net.SocketTimeoutException: connect timed out", NET, "OpenJDK NioSocketImpl"),
    Line("java.net.SocketTimeoutException: Read timed out", DEP, "OpenJDK NioSocketImpl"),
    Line(
        "urllib3.exceptions.ConnectTimeoutError: (<urllib3.connection.HTTPSConnection object at 0x7f01>, "
        "'Connection to api.partner.example timed out. (connect timeout=5)')",
        NET,
        "urllib3 src/urllib3/connection.py _new_conn",
    ),
    Line(
        "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='api.partner.example', port=443): Read timed out. "
        "(read timeout=10)",
        DEP,
        "urllib3 src/urllib3/connectionpool.py _raise_timeout",
    ),
    Line(
        "Error: connect ETIMEDOUT 10.0.12.7:443", NET, "nodejs lib/internal/errors.js exceptionWithHostPort"
    ),
    Line(
        "System.Net.Sockets.SocketException (111): Connection refused",
        DEP,
        "dotnet/runtime SocketException (Unix)",
    ),
    Line(
        "No connection could be made because the target machine actively refused it. (10.0.12.7:5432)",
        DEP,
        "dotnet/runtime SocketError.ConnectionRefused (WSAECONNREFUSED text)",
    ),
    Line(
        "Errno::ECONNREFUSED: Failed to open TCP connection to inventory:8080 (Connection refused - connect(2) for "
        '"inventory" port 8080)',
        DEP,
        "ruby lib/net/http.rb connect",
    ),
    Line(
        "Net::OpenTimeout: execution expired",
        NET,
        "ruby lib/net/http.rb connect (Timeout.timeout(@open_timeout))",
    ),
    Line("Net::ReadTimeout with #<TCPSocket:(closed)>", DEP, "ruby lib/net/protocol.rb rbuf_fill"),
    Line(
        "curl: (7) Failed to connect to inventory port 8080 after 3 ms: Connection refused",
        DEP,
        "curl docs libcurl-errors CURLE_COULDNT_CONNECT",
    ),
    Line(
        "curl: (28) Connection timed out after 5001 milliseconds",
        NET,
        "curl docs libcurl-errors CURLE_OPERATION_TIMEDOUT; lib/connect.c",
    ),
    Line(
        'connection to server at "orders-db" (10.0.12.7), port 5432 failed: Connection refused',
        DEP,
        "postgres src/interfaces/libpq/fe-connect.c",
    ),
    Line(
        "ERROR 2003 (HY000): Can't connect to MySQL server on 'orders-db:3306' (111)",
        DEP,
        "MySQL client error reference CR_CONN_HOST_ERROR (2003)",
    ),
    Line(
        'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp '
        '10.0.12.7:50051: connect: connection refused"',
        DEP,
        "grpc-go internal/transport http2_client.go",
    ),
    # ------------------------------------------------------------------ pool exhaustion, per library
    Line(
        "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
        POOL,
        "brettwooldridge/HikariCP HikariPool.createTimeoutException",
    ),
    Line(
        "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out "
        "after 30005ms (total=10, active=10, idle=0, waiting=42)",
        POOL,
        "HikariCP 5.1 HikariPool",
    ),
    Line(
        "java.sql.SQLException: An attempt by a client to checkout a Connection has timed out.",
        POOL,
        "swaldman/c3p0 C3P0PooledConnectionPool; github.com/swaldman/c3p0/issues/20",
    ),
    Line(
        "com.mchange.v2.resourcepool.TimeoutException: A client timed out while waiting to acquire a resource from "
        "com.mchange.v2.resourcepool.BasicResourcePool@f03f0af -- timeout at awaitAvailable()",
        POOL,
        "swaldman/c3p0 BasicResourcePool.awaitAvailable; github.com/swaldman/c3p0/issues/20",
    ),
    Line(
        "org.apache.commons.dbcp.SQLNestedException: Cannot get a connection, pool error Timeout waiting for idle "
        "object",
        POOL,
        "apache commons-dbcp BasicDataSource.getConnection",
    ),
    Line(
        "org.apache.tomcat.jdbc.pool.PoolExhaustedException: [http-nio-8080-exec-12] Timeout: Pool empty. Unable to "
        "fetch a connection in 30 seconds, none available[size:100; busy:100; idle:0; lastwait:30000].",
        POOL,
        "apache/tomcat modules/jdbc-pool ConnectionPool.borrowConnection",
    ),
    Line(
        "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout "
        "30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)",
        POOL,
        "sqlalchemy lib/sqlalchemy/pool/impl.py QueuePool._do_get",
    ),
    Line(
        "psycopg_pool.PoolTimeout: couldn't get a connection after 30.00 sec",
        POOL,
        "psycopg/psycopg psycopg_pool/pool.py (Django 5.1 connection pool)",
    ),
    Line(
        "django.db.utils.OperationalError: FATAL:  sorry, too many clients already",
        POOL,
        "postgres src/backend/storage/lmgr/proc.c InitProcess",
    ),
    Line(
        "Error: timeout exceeded when trying to connect",
        POOL,
        "brianc/node-postgres packages/pg-pool/index.js",
    ),
    Line(
        "SequelizeConnectionAcquireTimeoutError: Operation timeout",
        POOL,
        "sequelize lib/dialects/abstract/connection-manager.js; github.com/sequelize/sequelize/issues/10858",
    ),
    Line(
        "KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a "
        ".transacting(trx) call?",
        POOL,
        "knex/knex lib/client.js acquireConnection",
    ),
    Line(
        "PrismaClientKnownRequestError: Timed out fetching a new connection from the connection pool. More info: "
        "http://pris.ly/d/connection-pool (Current connection pool timeout: 10, connection limit: 5)",
        POOL,
        "prisma error reference P2024; github.com/prisma/prisma/discussions/24170",
    ),
    Line(
        "ActiveRecord::ConnectionTimeoutError: could not obtain a connection from the pool within 5.000 seconds "
        "(waited 5.002 seconds); all pooled connections were in use",
        POOL,
        "rails activerecord/lib/active_record/connection_adapters/abstract/connection_pool/queue.rb",
    ),
    Line(
        "psycopg2.OperationalError: ERROR:  no more connections allowed (max_client_conn)",
        POOL,
        "pgbouncer src/client.c; github.com/pgbouncer/pgbouncer/issues/293",
    ),
    Line(
        "redis: connection pool timeout",
        POOL,
        "redis/go-redis internal/pool/pool.go ErrPoolTimeout; issues/1002",
    ),
    Line(
        "redis.clients.jedis.exceptions.JedisExhaustedPoolException: Could not get a resource since the pool is "
        "exhausted",
        POOL,
        "redis/jedis util/Pool.getResource",
    ),
    Line("ERR max number of clients reached", POOL, "redis src/networking.c acceptCommonHandler"),
    Line(
        "MongoWaitQueueTimeoutError: Timed out while checking out a connection from connection pool",
        POOL,
        "mongodb/node-mongodb-native src/cmap/errors.ts",
    ),
    Line(
        "org.apache.http.conn.ConnectionPoolTimeoutException: Timeout waiting for connection from pool",
        POOL,
        "apache httpcomponents-client PoolingHttpClientConnectionManager",
    ),
    Line("ERROR 1040 (HY000): Too many connections", POOL, "MySQL server error reference ER_CON_COUNT_ERROR"),
    Line(
        'FATAL:  too many connections for role "orders"', POOL, "postgres src/backend/utils/init/postinit.c"
    ),
    # ------------------------------------------------------------------ rate limiting
    Line(
        "botocore.exceptions.ClientError: An error occurred (ThrottlingException) when calling the Decrypt operation "
        "(reached max retries: 4): You have exceeded the rate at which you may call KMS. Reduce the frequency of "
        "your calls.",
        RATE,
        "AWS KMS API reference, Common errors: ThrottlingException",
    ),
    Line(
        "An error occurred (Throttling) when calling the AssumeRoleWithWebIdentity operation (reached max retries: "
        "4): Rate exceeded",
        RATE,
        "AWS STS common errors (Throttling); botocore ClientError format",
    ),
    Line(
        "An error occurred (ThrottlingException) when calling the GetSecretValue operation: Rate exceeded",
        RATE,
        "AWS Secrets Manager API reference, common errors",
    ),
    Line(
        "ProvisionedThroughputExceededException: The level of configured provisioned throughput for the table was "
        "exceeded. Consider increasing your provisioning level with the UpdateTable API.",
        RATE,
        "AWS DynamoDB developer guide, Error handling",
    ),
    Line(
        "RequestLimitExceeded: Throughput exceeds the current throughput limit for your account. Please contact AWS "
        "Support at https://aws.amazon.com/support request a limit increase",
        RATE,
        "AWS DynamoDB developer guide, Error handling",
    ),
    Line(
        "An error occurred (SlowDown) when calling the PutObject operation (reached max retries: 4): Please reduce "
        "your request rate.",
        RATE,
        "AWS S3 API reference, Error responses (SlowDown)",
    ),
    Line("TooManyRequestsException: Rate Exceeded.", RATE, "AWS Lambda API reference, Invoke errors"),
    Line(
        "An error occurred (RequestLimitExceeded) when calling the DescribeInstances operation: Request limit "
        "exceeded.",
        RATE,
        "AWS EC2 API reference, Common client errors",
    ),
    Line(
        "ProvisionedThroughputExceededException: Rate exceeded for shard shardId-000000000001 in stream orders under "
        "account 123456789012.",
        RATE,
        "AWS Kinesis API reference, PutRecord errors",
    ),
    Line(
        "requests.exceptions.HTTPError: 429 Client Error: Too Many Requests for url: "
        "https://api.partner.example/v1/quotes",
        RATE,
        "psf/requests src/requests/models.py raise_for_status",
    ),
    Line(
        "org.springframework.web.client.HttpClientErrorException$TooManyRequests: 429 Too Many Requests: "
        '"{"error":"rate_limited"}"',
        RATE,
        "spring-framework HttpClientErrorException.TooManyRequests",
    ),
    Line("AxiosError: Request failed with status code 429", RATE, "axios lib/core/settle.js"),
    Line(
        "System.Net.Http.HttpRequestException: Response status code does not indicate success: 429 (Too Many "
        "Requests).",
        RATE,
        "dotnet/runtime HttpResponseMessage.EnsureSuccessStatusCode",
    ),
    Line(
        "stripe.error.RateLimitError: Request req_8Hk2: Too many requests hit the API too quickly. We recommend an "
        "exponential backoff of your requests.",
        RATE,
        "Stripe API docs, Rate limits (rate_limit error)",
    ),
    Line(
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        RATE,
        "GitHub REST API docs, Rate limits (secondary rate limits)",
    ),
    Line(
        "openai.RateLimitError: Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o in "
        "organization org-abc on tokens per min (TPM): Limit 30000, Used 29804, Requested 1200.', 'type': 'tokens', "
        "'code': 'rate_limit_exceeded'}}",
        RATE,
        "OpenAI API docs, Error codes (429 Rate limit reached)",
    ),
    Line(
        "googleapi: Error 429: Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute "
        "per user' of service 'sheets.googleapis.com', rateLimitExceeded",
        RATE,
        "Google API docs, Usage limits (rateLimitExceeded)",
    ),
    Line(
        'limiting requests, excess: 20.540 by zone "api", client: 10.0.4.7, server: _, request: "GET /v1/quotes '
        'HTTP/1.1"',
        RATE,
        "nginx src/http/modules/ngx_http_limit_req_module.c",
    ),
    # ------------------------------------------------------------------ permission denials
    Line(
        "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation: "
        "Access Denied",
        PERM,
        "AWS S3 error responses (AccessDenied)",
    ),
    Line(
        "User: arn:aws:sts::123456789012:assumed-role/orders-api/i-0abc is not authorized to perform: "
        "sqs:SendMessage on resource: arn:aws:sqs:eu-west-1:123456789012:orders because no identity-based policy "
        "allows the sqs:SendMessage action",
        PERM,
        "AWS IAM user guide, Troubleshoot access denied error messages",
    ),
    Line(
        "An error occurred (UnauthorizedOperation) when calling the RunInstances operation: You are not authorized "
        "to perform this operation.",
        PERM,
        "AWS EC2 API reference, Common client errors",
    ),
    Line(
        "An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to "
        "perform sts:AssumeRoleWithWebIdentity",
        PERM,
        "AWS STS AssumeRoleWithWebIdentity errors; EKS IRSA docs",
    ),
    Line(
        "WebIdentityErr: failed to retrieve credentials caused by: InvalidIdentityToken: No OpenIDConnect provider "
        "found in your account for https://oidc.eks.eu-west-1.amazonaws.com/id/ABC",
        PERM,
        "AWS STS errors InvalidIdentityToken; github.com/namespacelabs/foundation/issues/801",
    ),
    Line(
        "NoCredentialProviders: no valid providers in chain. Deprecated.",
        PERM,
        "aws-sdk-go aws/credentials/chain_provider.go ErrNoValidProvidersFoundInChain",
    ),
    Line(
        "botocore.exceptions.NoCredentialsError: Unable to locate credentials", PERM, "botocore exceptions.py"
    ),
    Line(
        "UnrecognizedClientException: The security token included in the request is invalid.",
        PERM,
        "AWS common errors (UnrecognizedClientException / InvalidClientTokenId)",
    ),
    Line(
        'pods is forbidden: User "system:serviceaccount:ci:deployer" cannot list resource "pods" in API group "" in '
        'the namespace "prod"',
        PERM,
        "kubernetes staging/src/k8s.io/apiserver authorization forbidden message",
    ),
    Line(
        "google.api_core.exceptions.PermissionDenied: 403 Permission 'pubsub.topics.publish' denied on resource "
        "(or it may not exist).",
        PERM,
        "googleapis python-api-core exceptions.py; IAM error texts",
    ),
    Line(
        "AuthorizationFailed: The client 'abc' with object id 'abc' does not have authorization to perform action "
        "'Microsoft.Storage/storageAccounts/listKeys/action' over scope '/subscriptions/x'",
        PERM,
        "Azure Resource Manager error codes (AuthorizationFailed)",
    ),
    Line("rpc error: code = Unauthenticated desc = invalid token", PERM, "grpc-go codes.Unauthenticated"),
    Line(
        'FATAL:  password authentication failed for user "orders"', PERM, "postgres src/backend/libpq/auth.c"
    ),
    Line("NOAUTH Authentication required.", PERM, "redis src/server.c (noautherr)"),
    Line("WRONGPASS invalid username-password pair or user is disabled.", PERM, "redis src/acl.c"),
    Line(
        "org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed during authentication "
        "due to invalid credentials with SASL mechanism SCRAM-SHA-512",
        PERM,
        "apache/kafka ScramSaslServer",
    ),
    Line(
        "PermissionError: [Errno 13] Permission denied: '/data/uploads/tmp'", PERM, "CPython OSError EACCES"
    ),
    # ------------------------------------------------------------------ disk full
    Line("Error: ENOSPC: no space left on device, write", DISK, "nodejs uv error ENOSPC"),
    Line(
        "OSError: [Errno 28] No space left on device: '/var/lib/app/cache/x'", DISK, "CPython OSError ENOSPC"
    ),
    Line(
        'ERROR:  could not extend file "base/16384/24601": No space left on device',
        DISK,
        "postgres src/backend/storage/smgr/md.c mdextend",
    ),
    Line(
        'PANIC:  could not write to file "pg_wal/xlogtemp.123": No space left on device',
        DISK,
        "postgres src/backend/access/transam/xlog.c",
    ),
    Line(
        "ERROR 1114 (HY000): The table 'order_events' is full",
        DISK,
        "MySQL server error reference ER_RECORD_FILE_FULL",
    ),
    Line(
        "[ERROR] [MY-000035] [Server] Disk is full writing './binlog.000042' (OS errno 28 - No space left on "
        "device). Waiting for someone to free space...",
        DISK,
        "MySQL mysys my_write.c (EE_DISK_FULL)",
    ),
    Line("Got error 28 from storage engine", DISK, "MySQL server error reference ER_GET_ERRNO (errno 28)"),
    Line(
        "flood stage disk watermark [95%] exceeded on [es-data-1][/usr/share/elasticsearch/data] free: 1.2gb[4.1%], "
        "all indices on this node will be marked read-only",
        DISK,
        "elastic/elasticsearch DiskThresholdMonitor; github.com/elastic/elasticsearch/issues/26201",
    ),
    Line(
        '{"type":"cluster_block_exception","reason":"index [orders] blocked by: [TOO_MANY_REQUESTS/12/disk usage '
        'exceeded flood-stage watermark, index has read-only-allow-delete block];"}',
        DISK,
        "elastic/elasticsearch IndexMetadata INDEX_READ_ONLY_ALLOW_DELETE_BLOCK; issues/77906",
    ),
    Line(
        "ClusterBlockException[blocked by: [FORBIDDEN/12/index read-only / allow delete (api)];]",
        DISK,
        "elastic/elasticsearch 6.x read_only_allow_delete block; github.com/italia/docs.italia.it/pull/371",
    ),
    Line(
        "java.io.IOException: No space left on device",
        DISK,
        "OpenJDK FileDispatcherImpl (ENOSPC), as Kafka logs it",
    ),
    Line(
        "The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 9Mi.",
        DISK,
        "kubernetes pkg/kubelet/eviction/helpers.go evictionMessage",
    ),
    Line(
        "Pod ephemeral local storage usage exceeds the total limit of containers 2Gi.",
        DISK,
        "kubernetes pkg/kubelet/eviction/eviction_manager.go",
    ),
    # ------------------------------------------------------------------ out of memory, per runtime
    Line("java.lang.OutOfMemoryError: Java heap space", OOM, "OpenJDK hotspot memory/universe.cpp"),
    Line("java.lang.OutOfMemoryError: Metaspace", OOM, "OpenJDK hotspot"),
    Line(
        "java.lang.OutOfMemoryError: GC overhead limit exceeded",
        OOM,
        "OpenJDK hotspot gc (UseGCOverheadLimit)",
    ),
    Line(
        "java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory or process/resource "
        "limits reached",
        OOM,
        "OpenJDK hotspot prims/jvm.cpp JVM_StartThread",
    ),
    Line(
        "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
        OOM,
        "v8 / nodejs OOMErrorHandler; github.com/nodejs/node/issues/33339",
    ),
    Line(
        "FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript heap out of memory",
        OOM,
        "v8 heap.cc",
    ),
    Line("fatal error: runtime: out of memory", OOM, "Go src/runtime/malloc.go"),
    Line(
        "runtime: out of memory: cannot allocate 4194304-byte block (3966631936 in use)",
        OOM,
        "Go src/runtime/mheap.go",
    ),
    Line(
        "MemoryError: Unable to allocate 7.45 GiB for an array with shape (1000000000,) and data type float64",
        OOM,
        "numpy _core/src/multiarray (ArrayMemoryError)",
    ),
    Line(
        "Out of memory: Killed process 4121 (java) total-vm:8123456kB, anon-rss:2097152kB, file-rss:0kB, "
        "shmem-rss:0kB, UID:1000 pgtables:5000kB oom_score_adj:936",
        OOM,
        "linux mm/oom_kill.c __oom_kill_process",
    ),
    Line(
        "java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=936",
        OOM,
        "linux mm/oom_kill.c dump_header",
    ),
    Line(
        "System OOM encountered, victim process: java, pid: 4121",
        OOM,
        "kubernetes pkg/kubelet/oom/oom_watcher_linux.go",
    ),
    Line(
        "System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown.",
        OOM,
        "dotnet/runtime System.OutOfMemoryException",
    ),
    Line("NoMemoryError: failed to allocate memory", OOM, "ruby gc.c rb_memerror"),
    Line(
        "PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)",
        OOM,
        "php-src Zend/zend_alloc.c zend_mm_safe_error",
    ),
    Line(
        "Last State: Terminated Reason: OOMKilled Exit Code: 137",
        OOM,
        "kubernetes container status reason OOMKilled",
    ),
    # ------------------------------------------------------------------ a dependency down, in its client's words
    Line(
        "[Producer clientId=producer-1] Connection to node -1 (kafka-0.kafka-headless/10.0.5.12:9092) could not be "
        "established. Broker may not be available.",
        DEP,
        "apache/kafka clients NetworkClient; github.com/airbnb/kafkat/issues/37",
    ),
    Line(
        "[Consumer clientId=consumer-orders-1, groupId=orders] Bootstrap broker kafka:9092 (id: -1 rack: null) "
        "disconnected",
        DEP,
        "apache/kafka clients NetworkClient",
    ),
    Line(
        "org.apache.kafka.common.errors.TimeoutException: Topic orders not present in metadata after 60000 ms.",
        DEP,
        "apache/kafka clients KafkaProducer.waitOnMetadata",
    ),
    Line(
        "%3|1710407523.123|FAIL|rdkafka#producer-1| [thrd:kafka:9092/bootstrap]: 1/1 brokers are down",
        DEP,
        "confluentinc/librdkafka src/rdkafka_broker.c",
    ),
    Line(
        "org.apache.kafka.common.errors.NotEnoughReplicasException: Messages are rejected since there are fewer "
        "in-sync replicas than required.",
        DEP,
        "apache/kafka clients errors NotEnoughReplicasException",
    ),
    Line(
        "com.rabbitmq.client.ShutdownSignalException: connection error; protocol method: "
        "#method<connection.close>(reply-code=320, reply-text=CONNECTION_FORCED - broker forced connection closure "
        "with reason 'shutdown', class-id=0, method-id=0)",
        DEP,
        "rabbitmq-server rabbit_reader; AMQP 0-9-1 reply 320",
    ),
    Line(
        "pika.exceptions.StreamLostError: Stream connection lost: ConnectionResetError(104, 'Connection reset by "
        "peer')",
        DEP,
        "pika/pika exceptions.py StreamLostError",
    ),
    Line(
        "Error: Socket closed abruptly during opening handshake", DEP, "amqp-node/amqplib lib/connection.js"
    ),
    Line(
        'pymongo.errors.ServerSelectionTimeoutError: No replica set members match selector "Primary()", Timeout: '
        "30s, Topology Description: <TopologyDescription id: 65f0, topology_type: ReplicaSetNoPrimary>",
        DEP,
        "mongodb/mongo-python-driver pymongo/topology.py; PR 444",
    ),
    Line(
        "MongoServerSelectionError: Server selection timed out after 30000 ms",
        DEP,
        "mongodb/node-mongodb-native src/sdam/topology.ts; PR 2238",
    ),
    Line(
        "com.mongodb.MongoTimeoutException: Timed out after 30000 ms while waiting for a server that matches "
        "ReadPreferenceServerSelector{readPreference=primary}.",
        DEP,
        "mongodb/mongo-java-driver BaseCluster",
    ),
    Line(
        '{"type":"no_shard_available_action_exception","reason":"No shard available for [get [orders][1]]"}',
        DEP,
        "elastic/elasticsearch NoShardAvailableActionException",
    ),
    Line(
        "NoNodeAvailableException[None of the configured nodes are available: [{#transport#-1}{es:9300}]]",
        DEP,
        "elastic/elasticsearch TransportClientNodesService",
    ),
    Line(
        '{"type":"cluster_block_exception","reason":"blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / '
        'initialized];"}',
        DEP,
        "elastic/elasticsearch GatewayService STATE_NOT_RECOVERED_BLOCK",
    ),
    Line(
        "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
        DEP,
        "redis src/server.c masterdownerr; github.com/Snapchat/KeyDB/issues/232",
    ),
    Line("CLUSTERDOWN The cluster is down", DEP, "redis src/cluster.c getNodeByQuery"),
    Line("CLUSTERDOWN Hash slot not served", DEP, "redis src/cluster.c"),
    Line(
        "io.lettuce.core.RedisConnectionException: Unable to connect to redis-master.cache.svc:6379",
        DEP,
        "redis/lettuce RedisConnectionException.create",
    ),
    Line("io.grpc.StatusRuntimeException: UNAVAILABLE: io exception", DEP, "grpc-java Status.UNAVAILABLE"),
    Line(
        "grpc._channel._InactiveRpcError: <_InactiveRpcError of RPC that terminated with: status = "
        'StatusCode.UNAVAILABLE details = "failed to connect to all addresses">',
        DEP,
        "grpc python _channel.py",
    ),
    Line("Error: 14 UNAVAILABLE: No connection established", DEP, "grpc-node packages/grpc-js"),
    Line(
        "upstream prematurely closed connection while reading response header from upstream, client: 10.0.4.7",
        DEP,
        "nginx src/http/ngx_http_upstream.c",
    ),
    Line(
        "no live upstreams while connecting to upstream, client: 10.0.4.7",
        DEP,
        "nginx src/http/ngx_http_upstream.c",
    ),
    Line("no healthy upstream", DEP, "envoy source/common/router/router.cc (no healthy upstream)"),
    Line("backend api_servers has no server available!", DEP, "haproxy src/backend.c / server.c"),
    Line(
        "org.springframework.web.reactive.function.client.WebClientResponseException$ServiceUnavailable: 503 "
        "Service Unavailable from GET http://inventory.prod.svc.cluster.local/api/stock",
        DEP,
        "spring-framework WebClientResponseException",
    ),
    Line(
        "feign.FeignException$BadGateway: [502 Bad Gateway] during [GET] to [http://pricing/api/price]",
        DEP,
        "OpenFeign FeignException.errorStatus",
    ),
    Line("FATAL:  the database system is starting up", DEP, "postgres src/backend/tcop/backend_startup.c"),
    # ------------------------------------------------------------------ bad config, per framework
    Line(
        "java.lang.IllegalArgumentException: Could not resolve placeholder 'PAYMENTS_API_KEY' in value "
        '"${PAYMENTS_API_KEY}"',
        CONFIG,
        "spring-framework PropertyPlaceholderHelper",
    ),
    Line(
        "Failed to bind properties under 'spring.datasource.hikari.maximum-pool-size' to int",
        CONFIG,
        "spring-boot BindFailureAnalyzer",
    ),
    Line(
        "Failed to configure a DataSource: 'url' attribute is not specified and no embedded datasource could be "
        "configured.",
        CONFIG,
        "spring-boot DataSourceBeanCreationFailureAnalyzer",
    ),
    Line('KeyError: key not found: "STRIPE_SECRET_KEY"', CONFIG, "ruby hash.c rb_hash_fetch_m (ENV.fetch)"),
    Line(
        "ArgumentError: Missing `secret_key_base` for 'production' environment, set this string with `bin/rails "
        "credentials:edit`",
        CONFIG,
        "rails railties/lib/rails/application.rb",
    ),
    Line("KeyError: 'DATABASE_URL'", CONFIG, "CPython Lib/os.py _Environ.__getitem__"),
    Line(
        "django.core.exceptions.ImproperlyConfigured: The SECRET_KEY setting must not be empty.",
        CONFIG,
        "django/conf/__init__.py",
    ),
    Line(
        "pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings",
        CONFIG,
        "pydantic-settings BaseSettings (pydantic ValidationError title)",
    ),
    Line(
        'Error: Configuration property "db.host" is not defined',
        CONFIG,
        "node-config lib/config.js get; github.com/schmic/ac-monitor/issues/7",
    ),
    Line(
        "Error: Cannot find module '/app/config/production.json'",
        CONFIG,
        "nodejs lib/internal/modules/cjs/loader.js",
    ),
    Line("flag provided but not defined: -metrics-addr", CONFIG, "Go src/flag/flag.go failf"),
    Line('invalid value "30x" for flag -timeout: parse error', CONFIG, "Go src/flag/flag.go parseOne"),
    Line(
        'Error: invalid argument "abc" for "--port" flag: strconv.ParseInt: parsing "abc": invalid syntax',
        CONFIG,
        "spf13/pflag flag.go",
    ),
    Line(
        "envconfig: required key DATABASE_URL missing value", CONFIG, "kelseyhightower/envconfig envconfig.go"
    ),
    Line(
        'Config File "config" Not Found in "[/etc/orders /app]"',
        CONFIG,
        "spf13/viper ConfigFileNotFoundError",
    ),
    Line(
        "Microsoft.Extensions.Options.OptionsValidationException: DataAnnotation validation failed for "
        "'PaymentsOptions' members: 'ApiKey' with the error: 'The ApiKey field is required.'.",
        CONFIG,
        "dotnet/runtime Microsoft.Extensions.Options.DataAnnotations",
    ),
    Line(
        "System.InvalidOperationException: The ConnectionString property has not been initialized.",
        CONFIG,
        "dotnet SqlClient SqlConnection",
    ),
    Line(
        "Error: couldn't find key DB_PASSWORD in Secret orders/db-creds",
        CONFIG,
        "kubernetes pkg/kubelet/kubelet_pods.go makeEnvironmentVariables",
    ),
    Line(
        'MountVolume.SetUp failed for volume "config" : configmap "orders-config" not found',
        CONFIG,
        "kubernetes pkg/volume/configmap; github.com/kubernetes/kubernetes/issues/110158",
    ),
    # ------------------------------------------------------------------ probes (kubelet)
    Line(
        'Liveness probe failed: Get "http://10.244.2.15:8080/healthz": dial tcp 10.244.2.15:8080: connect: '
        "connection refused",
        PROBE,
        "kubernetes pkg/kubelet/prober/prober.go",
    ),
    Line(
        'Readiness probe failed: Get "http://10.244.2.15:8080/ready": context deadline exceeded (Client.Timeout '
        "exceeded while awaiting headers)",
        PROBE,
        "kubernetes pkg/kubelet/prober/prober.go",
    ),
    Line(
        "Startup probe failed: HTTP probe failed with statuscode: 500",
        PROBE,
        "kubernetes pkg/probe/http/http.go",
    ),
    Line(
        "Liveness probe errored: rpc error: code = DeadlineExceeded desc = failed to exec in container",
        PROBE,
        "kubernetes pkg/kubelet/prober/prober.go (probe errored)",
    ),
    Line(
        "Container orders failed liveness probe, will be restarted",
        PROBE,
        "kubernetes pkg/kubelet/kuberuntime/kuberuntime_manager.go",
    ),
    # ------------------------------------------------------------------ image pull (kubelet)
    Line(
        'Back-off pulling image "registry.internal/orders:v2.4.1"',
        PULL,
        "kubernetes pkg/kubelet/images/image_manager.go",
    ),
    Line(
        'Failed to pull image "docker.io/library/nginx:1.25": failed to pull and unpack image: 429 Too Many Requests '
        "- Server message: toomanyrequests: You have reached your pull rate limit.",
        PULL,
        "kubernetes image_manager.go; Docker Hub rate limit docs",
    ),
    Line(
        'Failed to pull image "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:v2": unexpected status from HEAD '
        "request: 403 Forbidden",
        PULL,
        "containerd remotes/docker resolver.go",
    ),
    Line(
        'Failed to apply default image tag "Registry.internal/Orders": couldn\'t parse image reference: invalid '
        "reference format: repository name must be lowercase",
        PULL,
        "kubernetes image_manager.go (InvalidImageName)",
    ),
    # ------------------------------------------------------------------ volumes (kubelet, attach/detach)
    Line(
        "Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data "
        "kube-api-access-8x2lq]: timed out waiting for the condition",
        STORAGE,
        "kubernetes pkg/kubelet/volumemanager; github.com/kubernetes/kubernetes/issues/93563",
    ),
    Line(
        'Multi-Attach error for volume "pvc-5b2f" Volume is already exclusively attached to one node and can\'t be '
        "attached to another",
        STORAGE,
        "kubernetes pkg/controller/volume/attachdetach/reconciler",
    ),
    Line(
        'AttachVolume.Attach failed for volume "pvc-5b2f" : rpc error: code = DeadlineExceeded desc = context '
        "deadline exceeded",
        STORAGE,
        "kubernetes pkg/volume/util/operationexecutor",
    ),
    Line(
        'waiting for a volume to be created, either by external provisioner "ebs.csi.aws.com" or manually created '
        "by system administrator",
        STORAGE,
        "kubernetes pkg/controller/volume/persistentvolume/pv_controller.go",
    ),
]

DECOYS: list[Decoy] = [
    Decoy(
        "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
        NET,
        "a pool's own wait, not a network timeout (HikariCP HikariPool)",
    ),
    Decoy(
        "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
        DEP,
        "a pool's own wait, not a slow dependency",
    ),
    Decoy("HikariPool-1 - Start completed.", POOL, "HikariCP start-up info line"),
    Decoy(
        "requests.exceptions.ConnectionError: HTTPConnectionPool(host='inventory', port=8080): Max retries exceeded "
        "with url: /stock (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f8a>: "
        "Failed to establish a new connection: [Errno 111] Connection refused'))",
        POOL,
        "urllib3 names its per-host pool; the cause is a refusal",
    ),
    Decoy(
        "requests.exceptions.ConnectionError: HTTPConnectionPool(host='inventory', port=8080): Max retries exceeded "
        "with url: /stock (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f8a>: "
        "Failed to establish a new connection: [Errno 111] Connection refused'))",
        RATE,
        "'Max retries exceeded' is the client's retry budget, not a rate limit",
    ),
    Decoy(
        "Retrying (Retry(total=2, connect=None, read=None, redirect=None, status=None)) after connection broken by "
        "'SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "certificate has expired (_ssl.c:1006)'))': /v1/charges",
        RATE,
        "urllib3 connectionpool.py retry warning after a TLS failure: the TLS failure is the cause",
    ),
    Decoy(
        "Retrying (Retry(total=2, connect=None, read=None, redirect=None, status=None)) after connection broken by "
        "'SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "certificate has expired (_ssl.c:1006)'))': /v1/charges",
        DEP,
        "urllib3 retry warning after a TLS failure",
    ),
    Decoy(
        "Picked up JAVA_TOOL_OPTIONS: -XX:+HeapDumpOnOutOfMemoryError -XX:MaxRAMPercentage=75",
        OOM,
        "OpenJDK launcher echo of a JVM flag that names OutOfMemoryError",
    ),
    Decoy("JVM flags: -Xmx512m -XX:+ExitOnOutOfMemoryError", OOM, "a JVM flag, not an error"),
    Decoy(
        "OOM command not allowed when used memory > 'maxmemory'.",
        OOM,
        "redis src/server.c: the cache's own maxmemory, not the caller's memory",
    ),
    Decoy("java.lang.OutOfMemoryError: GC overhead limit exceeded", RATE, "'limit exceeded' of the JVM's GC"),
    Decoy(
        '{"type":"cluster_block_exception","reason":"index [orders] blocked by: [TOO_MANY_REQUESTS/12/disk usage '
        'exceeded flood-stage watermark, index has read-only-allow-delete block];"}',
        RATE,
        "elasticsearch flood-stage block answers 429, but the disk is full",
    ),
    Decoy(
        "ClusterBlockException[blocked by: [FORBIDDEN/12/index read-only / allow delete (api)];]",
        PERM,
        "elasticsearch 6.x flood-stage block says FORBIDDEN; the disk is full",
    ),
    Decoy(
        "I0314 09:12:03.221  1 request.go:697] Waited for 1.04s due to client-side throttling, not priority and "
        "fairness, request: GET:https://10.100.0.1:443/api/v1/namespaces/prod/pods",
        RATE,
        "client-go rest/request.go: the client's own QPS limiter, informational",
    ),
    Decoy("processed batch of 429 records in 1.2s", RATE, "a count, not a status"),
    Decoy(
        'Liveness probe failed: Get "http://10.244.2.15:8080/healthz": dial tcp 10.244.2.15:8080: connect: '
        "connection refused",
        DEP,
        "kubelet probing the pod itself: the probe, not a dependency",
    ),
    Decoy(
        "Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data "
        "kube-api-access-8x2lq]: timed out waiting for the condition",
        DEP,
        "kubelet's volume wait",
    ),
    Decoy(
        'Failed to pull image "docker.io/library/nginx:1.25": failed to pull and unpack image: 429 Too Many '
        "Requests - Server message: toomanyrequests: You have reached your pull rate limit.",
        RATE,
        "a registry's pull limit stops the pod at its image pull",
    ),
    Decoy(
        'Failed to pull image "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:v2": unexpected status from '
        "HEAD request: 403 Forbidden",
        PERM,
        "the pull is what failed for the pod",
    ),
    Decoy(
        "An error occurred (Throttling) when calling the AssumeRoleWithWebIdentity operation (reached max retries: "
        "4): Rate exceeded",
        PERM,
        "STS throttling names the web identity call, but it is throttling",
    ),
    Decoy("Certificate payments-tls is up to date and has not expired", TLS, "cert-manager status, healthy"),
    Decoy(
        "Failed to bind properties under 'spring.datasource.hikari.maximum-pool-size' to int",
        POOL,
        "a pool setting named in a binding error",
    ),
    Decoy(
        "[Producer clientId=producer-1] Connection to node -1 (kafka-0.kafka-headless/10.0.5.12:9092) could not be "
        "established. Broker may not be available.",
        NET,
        "the broker, not the network, in the client's words",
    ),
    Decoy(
        "2024-03-14 09:12:03 LOG:  database system is ready to accept connections", DEP, "postgres start-up"
    ),
]
