"""How reports name causes and changes, shared by synthesis and every renderer."""

from __future__ import annotations

from shared.contracts import CauseCategory, Trigger

CATEGORY_WORDS: dict[CauseCategory, str] = {
    CauseCategory.OOM: "Memory exhausted",
    CauseCategory.CPU_SATURATION: "CPU saturated",
    CauseCategory.DISK_FULL: "Disk full",
    CauseCategory.BAD_CONFIG: "Bad configuration",
    CauseCategory.IMAGE_PULL: "Image cannot be pulled",
    CauseCategory.BAD_DEPLOY: "Regression from a release",
    CauseCategory.PROBE_FAILURE: "Health probes failing",
    CauseCategory.UNSCHEDULABLE: "Pods cannot be scheduled",
    CauseCategory.NODE_FAILURE: "Node failure",
    CauseCategory.SCALING_LIMIT: "Autoscaling at its limit",
    CauseCategory.DEPENDENCY_FAILURE: "A dependency is failing",
    CauseCategory.RESOURCE_POOL_EXHAUSTION: "Connection or thread pool exhausted",
    CauseCategory.RATE_LIMITED: "Rate limited",
    CauseCategory.PERMISSION_DENIED: "Permission denied",
    CauseCategory.NETWORK_FAILURE: "Network failure",
    CauseCategory.CERTIFICATE_EXPIRED: "Certificate expired or invalid",
    CauseCategory.STORAGE_FAILURE: "Storage failure",
    CauseCategory.TRAFFIC_SPIKE: "Traffic spike",
    CauseCategory.NO_ISSUE: "No issue",
    CauseCategory.UNKNOWN: "Cause unknown",
}

CHANGE_WORDS: dict[Trigger, str] = {
    Trigger.DEPLOY: "a deploy",
    Trigger.CONFIG_CHANGE: "a config change",
    Trigger.TRAFFIC: "a traffic surge",
    Trigger.DEPENDENCY: "a dependency change",
    Trigger.INFRASTRUCTURE: "an infrastructure change",
    Trigger.NONE: "no change",
}
