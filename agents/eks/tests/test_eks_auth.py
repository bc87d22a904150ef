"""How the scanner reaches a cluster: base URL, in-cluster, EKS by name (token + CA in memory),
kubeconfig, and a clear error when none applies."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from kube_stub import KubeStub
from moto import mock_aws

from agents.common.base import Budget
from agents.eks.auth import TOKEN_PREFIX, connect, eks_token
from agents.eks.reader import KubeReader
from shared.errors import SourceError

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "x"}}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in FAKE_AWS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def test_eks_token_is_a_presigned_get_caller_identity_bound_to_the_cluster(aws: None) -> None:
    token = eks_token("prod-eks", "eu-west-1")
    assert token.startswith(TOKEN_PREFIX) and "=" not in token
    encoded = token[len(TOKEN_PREFIX) :]
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    assert parsed.netloc == "sts.eu-west-1.amazonaws.com"
    assert query["Action"] == ["GetCallerIdentity"] and query["X-Amz-Expires"] == ["60"]
    assert query["X-Amz-SignedHeaders"] == ["host;x-k8s-aws-id"]


def test_base_url_override_comes_first_and_sends_the_bearer_token() -> None:
    with KubeStub([POD], token="t0k") as stub:
        env = {
            "KUBERNETES_BASE_URL": stub.url,
            "KUBERNETES_TOKEN": "t0k",
            "KUBERNETES_SERVICE_HOST": "10.0.0.1",
        }
        conn = connect(
            base_url_env="KUBERNETES_BASE_URL",
            kubeconfig_env="KUBECONFIG",
            cluster="prod-eks",
            region="us-east-1",
            env=env,
        )
        items, _ = KubeReader(conn.api).list("Pod", Budget.of(5), namespace="x")
    assert conn.method == "base URL override" and [i["metadata"]["name"] for i in items] == ["p"]


def test_in_cluster_without_a_service_account_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="in-cluster"):
        connect(
            base_url_env="B",
            kubeconfig_env="K",
            cluster=None,
            region="r",
            env={"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"},
        )


PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUfake\n-----END CERTIFICATE-----\n"


class EksSession:
    """A boto3 session whose EKS answers describe_cluster as AWS does; STS is the real client."""

    def client(self, service: str, region_name: str) -> object:
        if service == "sts":
            return boto3.session.Session().client("sts", region_name=region_name)
        return self

    def describe_cluster(self, name: str) -> dict:
        return {
            "cluster": {
                "name": name,
                "status": "ACTIVE",
                "endpoint": "https://ABC123.gr7.us-east-1.eks.amazonaws.com",
                "certificateAuthority": {"data": base64.b64encode(PEM.encode()).decode()},
            }
        }


def test_eks_by_cluster_name_keeps_the_ca_in_memory(aws: None) -> None:
    conn = connect(
        base_url_env="B",
        kubeconfig_env="K",
        cluster="prod-eks",
        region="us-east-1",
        env={},
        session=EksSession(),
    )
    cfg = conn.api.configuration
    assert conn.method == "EKS cluster prod-eks (us-east-1)"
    assert cfg.host == "https://ABC123.gr7.us-east-1.eks.amazonaws.com"
    assert cfg.ssl_ca_cert is None and cfg.ca_cert_data == PEM  # in memory, nothing written to disk
    assert cfg.api_key["BearerToken"].startswith(TOKEN_PREFIX)


def test_eks_cluster_from_moto_with_a_non_pem_ca_is_refused_clearly(aws: None) -> None:
    with mock_aws():
        boto3.client("eks", region_name="us-east-1").create_cluster(
            name="prod-eks",
            roleArn="arn:aws:iam::123456789012:role/eks",
            resourcesVpcConfig={"subnetIds": ["s"]},
        )
        with pytest.raises(SourceError, match="not a PEM certificate"):
            connect(base_url_env="B", kubeconfig_env="K", cluster="prod-eks", region="us-east-1", env={})


def test_unknown_eks_cluster_is_a_source_error(aws: None) -> None:
    with mock_aws(), pytest.raises(SourceError, match="EKS cluster nope"):
        connect(base_url_env="B", kubeconfig_env="K", cluster="nope", region="us-east-1", env={})


def test_kubeconfig_is_used_when_nothing_else_applies(tmp_path: Path) -> None:
    with KubeStub([POD], token="kc-token") as stub:
        kubeconfig = tmp_path / "config"
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
            f"clusters: [{{name: c, cluster: {{server: '{stub.url}'}}}}]\n"
            "users: [{name: u, user: {token: kc-token}}]\n"
            "contexts: [{name: test, context: {cluster: c, user: u}}]\n"
        )
        conn = connect(
            base_url_env="B",
            kubeconfig_env="KUBECONFIG",
            cluster=None,
            region="r",
            env={"KUBECONFIG": str(kubeconfig)},
        )
        items, _ = KubeReader(conn.api).list("Pod", Budget.of(5), namespace="x")
    assert conn.method.startswith("kubeconfig") and len(items) == 1


def _issue(name: str, issuer: tuple | None = None, *, ca: bool = False, ip: str | None = None) -> tuple:
    """A key and certificate for `name`, signed by `issuer` (key, cert), or self-signed."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    signer_key, signer_cert = issuer or (key, None)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(signer_cert.subject if signer_cert else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ip:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False
        )
    return key, builder.sign(signer_key, hashes.SHA256())


def _pem(key: object, cert: object) -> tuple[bytes, bytes]:
    from cryptography.hazmat.primitives import serialization

    key_pem = key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)  # type: ignore[attr-defined]


def test_kubeconfig_client_certificate_works_and_leaves_no_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl
    import tempfile

    ca = _issue("test-ca", ca=True)
    server_key, server_cert = _pem(*_issue("127.0.0.1", ca, ip="127.0.0.1"))
    client_key, client_cert = _pem(*_issue("sre-on-call", ca))
    ca_pem = _pem(*ca)[1]
    (tmp_path / "server.pem").write_bytes(server_cert + server_key)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(tmp_path / "server.pem")
    tls.load_verify_locations(cadata=ca_pem.decode())
    tls.verify_mode = ssl.CERT_REQUIRED  # no client certificate, no answer
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    with KubeStub([POD], tls=tls) as stub:
        kubeconfig = tmp_path / "config"
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
            f"clusters: [{{name: c, cluster: {{server: '{stub.url}', "
            f"certificate-authority-data: {b64(ca_pem)}}}}}]\n"
            f"users: [{{name: u, user: {{client-certificate-data: {b64(client_cert)}, "
            f"client-key-data: {b64(client_key)}}}}}]\n"
            "contexts: [{name: test, context: {cluster: c, user: u}}]\n"
        )
        conn = connect(
            base_url_env="B", kubeconfig_env="KUBECONFIG", cluster=None, region="r",
            env={"KUBECONFIG": str(kubeconfig)},
        )  # fmt: skip
        assert list(scratch.iterdir()) == []  # the CA and the client key are not on disk
        items, _ = KubeReader(conn.api).list("Pod", Budget.of(5), namespace="x")
        again, _ = KubeReader(conn.api).list("Pod", Budget.of(5), namespace="x")
    assert conn.method.startswith("kubeconfig") and len(items) == len(again) == 1
    assert list(scratch.iterdir()) == []


def test_an_explicit_cluster_name_wins_over_running_in_cluster(aws: None) -> None:
    conn = connect(
        base_url_env="B",
        kubeconfig_env="K",
        cluster="prod-eks",
        region="us-east-1",
        env={"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"},
        session=EksSession(),
    )
    assert conn.method == "EKS cluster prod-eks (us-east-1)"


def test_no_way_to_reach_a_cluster_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="KUBERNETES_BASE_URL"):
        connect(
            base_url_env="KUBERNETES_BASE_URL",
            kubeconfig_env="KUBECONFIG",
            cluster=None,
            region="r",
            env={"KUBECONFIG": str(tmp_path / "missing"), "HOME": str(tmp_path)},
        )
