"""Error findings say which thing failed: the flag a program does not know, the key or variable it
misses, the host it cannot reach, the limit a server enforces; a long line keeps its end; a change
a process logs (a feature flag flipped) is a change finding naming the flag and its new value."""

from __future__ import annotations

from cwl_support import events, findings_for, scope

from agents.cloudwatch_logs.analyzers import windows_for
from agents.cloudwatch_logs.markers import marker_findings
from agents.common.named_values import named_in
from agents.common.signatures import excerpt, load_signatures
from shared.contracts import CauseCategory, Trigger

SIG = load_signatures()


def test_an_unknown_flag_is_bad_config_and_the_title_names_the_flag() -> None:
    evts = events("flag provided but not defined: -since-hours", start=12, every_s=60, count=6)
    [finding] = findings_for(evts, workload="api")
    assert finding.cause_hint is CauseCategory.BAD_CONFIG
    assert "-since-hours" in finding.title


def test_the_named_host_survives_a_long_line_in_the_title() -> None:
    line = (
        '{"level":"error","msg":"consumer: Cannot connect","detail":"'
        + "retrying with backoff " * 12
        + 'amqp://notify:x@rabbitmq.messaging.svc.cluster.local:5672//: [Errno 111] Connection refused"}'
    )
    [finding] = findings_for(events(line, start=10, every_s=10, count=30), workload="api")
    assert "rabbitmq.messaging.svc.cluster.local:5672" in finding.title
    assert "Connection refused" in finding.title  # the end of the line, cut out of the middle


def test_a_limit_and_a_policy_the_server_names_reach_the_title() -> None:
    line = (
        "ERROR cart save failed: " + "ctx=" + "k" * 160 + " OOM command not allowed when used memory > "
        "'maxmemory'. policy=noeviction"
    )
    [finding] = findings_for(events(line, start=10, every_s=10, count=30), workload="api")
    assert "maxmemory" in finding.title and "noeviction" in finding.title


def test_excerpt_keeps_the_start_and_the_end_of_a_long_line() -> None:
    line = "ERROR reserve failed " + "x" * 300 + " missing key inventory.reader_endpoint"
    short = excerpt(line, SIG.match(line), 150)
    assert len(short) <= 150
    assert short.startswith("ERROR reserve failed") and short.endswith("inventory.reader_endpoint")


def test_named_values_of_common_failures() -> None:
    assert named_in("Error: couldn't find key DB_URL in ConfigMap shop/app-config") == [
        "key DB_URL in shop/app-config"
    ]
    assert named_in("KeyError: 'DATABASE_URL'") == ["missing DATABASE_URL"]
    assert named_in("dial tcp: lookup payments.internal on 172.20.0.10:53: no such host") == [
        "host payments.internal (resolver 172.20.0.10:53)"
    ]
    assert named_in("FATAL: sorry, too many clients already (max_connections=400)") == ["max_connections"]
    assert named_in("sh: wge: not found") == ["command wge not found"]
    assert named_in('exec: "wgett": executable file not found in $PATH') == ["command wgett not found"]
    assert named_in("GET /health 200 3ms") == []


def test_a_feature_flag_change_logged_by_the_workload_is_a_change_naming_the_flag() -> None:
    line = '{"level":"info","msg":"feature flag changed","flag":"cart-autosave-v2","value":true}'
    evts = events(line, start=20, every_s=1, count=1, stream="cart-service-6d8b9c7f5-t4m9x_cart_cart-service")
    the_scope = scope(workload="cart-service")
    [finding] = marker_findings(
        evts, scope=the_scope, signatures=SIG, region="eu-west-2", windows=windows_for(the_scope)
    )
    assert finding.change is Trigger.CONFIG_CHANGE
    assert "flag=cart-autosave-v2" in finding.title and "value=true" in finding.title
