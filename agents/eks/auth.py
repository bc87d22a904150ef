"""How the EKS scanner reaches a cluster, in the order users run it:

1. a base URL override (`$KUBERNETES_BASE_URL`, named by `sources.eks.base_url_env`; optional bearer
   token in `$KUBERNETES_TOKEN`): the sandbox's fake API server, or `kubectl proxy`;
2. EKS by cluster name, when one is named (alert hint or `sources.eks.cluster`): an explicit name
   wins over wherever the scanner happens to run. `eks.describe_cluster` for the endpoint and CA,
   and a `k8s-aws-v1.` token (an STS `GetCallerIdentity` URL presigned with the header
   `x-k8s-aws-id: <cluster>`), the CA kept in memory, never written to disk;
3. in-cluster (`$KUBERNETES_SERVICE_HOST`, the service-account token);
4. a kubeconfig (`$KUBECONFIG` or `~/.kube/config`). The client library writes inline CA and client
   key data to temp files; they go into a private folder removed before `connect` returns, the CA
   kept in memory and the client certificate loaded into the TLS context.
"""

from __future__ import annotations

import base64
import logging
import os
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client as k8s

from shared.errors import SourceError

logger = logging.getLogger(__name__)

TOKEN_ENV = "KUBERNETES_TOKEN"
TOKEN_PREFIX = "k8s-aws-v1."
TOKEN_TTL_S = 60  # presigned URL lifetime; EKS accepts the token for 15 min after signing
_CLUSTER_HEADER = "x-k8s-aws-id"


@dataclass(frozen=True)
class Connection:
    """An API client and how it was obtained (for notes: never includes a secret)."""

    api: k8s.ApiClient
    method: str
    server: str


def eks_token(cluster: str, region: str, session: Any | None = None) -> str:
    """The bearer token `aws eks get-token` would print for `cluster`: `k8s-aws-v1.` and the
    base64url (unpadded) of an STS GetCallerIdentity URL presigned with `x-k8s-aws-id: <cluster>`."""
    import boto3

    session = session or boto3.session.Session()
    sts = session.client("sts", region_name=region)

    def add_cluster_header(request: Any, **_: Any) -> None:
        # Added before signing, so it is one of X-Amz-SignedHeaders (host;x-k8s-aws-id).
        request.headers[_CLUSTER_HEADER] = cluster

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", add_cluster_header)
    url = sts.generate_presigned_url(
        "get_caller_identity", Params={}, ExpiresIn=TOKEN_TTL_S, HttpMethod="GET"
    )
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode("utf-8")).decode("ascii").rstrip("=")


def _base_url_client(url: str, token: str | None) -> k8s.ApiClient:
    cfg = k8s.Configuration()
    cfg.host = url.rstrip("/")
    if token:
        cfg.api_key = {"BearerToken": token}
        cfg.api_key_prefix = {"BearerToken": "Bearer"}
    return k8s.ApiClient(cfg)


def _eks_client(cluster: str, region: str, session: Any | None = None) -> tuple[k8s.ApiClient, str]:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    session = session or boto3.session.Session()
    try:
        described = session.client("eks", region_name=region).describe_cluster(name=cluster)["cluster"]
        token = eks_token(cluster, region, session)
    except (ClientError, BotoCoreError) as e:
        raise SourceError(f"EKS cluster {cluster} in {region}: {e}") from e
    endpoint = described.get("endpoint")
    ca_data = (described.get("certificateAuthority") or {}).get("data")
    if not endpoint or not ca_data:
        raise SourceError(
            f"EKS cluster {cluster} in {region} has no endpoint or CA yet (status {described.get('status')})"
        )
    cfg = k8s.Configuration()
    cfg.host = endpoint
    # In memory: urllib3 loads the PEM per connection from this string; nothing touches the disk.
    try:
        cfg.ca_cert_data = base64.b64decode(ca_data).decode("ascii")
    except (ValueError, UnicodeDecodeError) as e:
        raise SourceError(f"EKS cluster {cluster}: its certificate authority is not a PEM certificate") from e
    cfg.verify_ssl = True
    cfg.api_key = {"BearerToken": token}
    cfg.api_key_prefix = {"BearerToken": "Bearer"}
    return k8s.ApiClient(cfg), endpoint


def _kubeconfig_client(path: str) -> k8s.ApiClient:
    """A client from a kubeconfig whose inline CA and client certificate never outlive this call on
    disk: the CA is kept as data, the certificate and key loaded into an `SSLContext`."""
    from kubernetes import config as kube_config

    cfg = k8s.Configuration()
    context: ssl.SSLContext | None = None
    with tempfile.TemporaryDirectory(prefix="sre-on-call-kube-") as folder:
        try:
            kube_config.load_kube_config(config_file=path, client_configuration=cfg, temp_file_path=folder)
            written = {str(p) for p in Path(folder).iterdir()}
            if cfg.ssl_ca_cert in written:
                cfg.ca_cert_data = Path(cfg.ssl_ca_cert).read_text(encoding="ascii")
                cfg.ssl_ca_cert = None
            if cfg.cert_file and cfg.key_file and {cfg.cert_file, cfg.key_file} & written:
                context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
                context.load_cert_chain(cfg.cert_file, cfg.key_file)
                cfg.cert_file = cfg.key_file = None
        except (kube_config.ConfigException, OSError, ValueError, ssl.SSLError) as e:
            raise SourceError(f"kubeconfig {path}: {e}") from e
    api = k8s.ApiClient(cfg)
    if context is not None:
        if not cfg.verify_ssl:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        # The client library passes certificates to urllib3 as file paths only: hand its pool
        # the context that already holds them.
        pool = api.rest_client.pool_manager
        pool.connection_pool_kw["ssl_context"] = context
        pool.clear()
    return api


def connect(
    *,
    base_url_env: str,
    kubeconfig_env: str,
    cluster: str | None,
    region: str,
    env: Mapping[str, str] | None = None,
    session: Any | None = None,
) -> Connection:
    """The first way that applies (see the module docstring). Raises `SourceError` when none does."""
    from kubernetes import config as kube_config

    env = os.environ if env is None else env
    base_url = env.get(base_url_env)
    if base_url:
        return Connection(_base_url_client(base_url, env.get(TOKEN_ENV)), "base URL override", base_url)
    if cluster:
        api, endpoint = _eks_client(cluster, region, session)
        return Connection(api, f"EKS cluster {cluster} ({region})", endpoint)
    if env.get("KUBERNETES_SERVICE_HOST"):
        cfg = k8s.Configuration()
        try:
            kube_config.load_incluster_config(client_configuration=cfg)
        except kube_config.ConfigException as e:
            raise SourceError(f"in-cluster config: {e}") from e
        return Connection(k8s.ApiClient(cfg), "in-cluster service account", cfg.host)
    kubeconfig = env.get(kubeconfig_env) or str(Path.home() / ".kube" / "config")
    if Path(kubeconfig.split(os.pathsep)[0]).is_file():
        api = _kubeconfig_client(kubeconfig.split(os.pathsep)[0])
        return Connection(api, f"kubeconfig {kubeconfig}", api.configuration.host)
    raise SourceError(
        f"no way to reach a cluster: set {base_url_env}, run in-cluster, name the EKS cluster "
        f"(alert hint or sources.eks.cluster), or provide a kubeconfig"
    )
