"""Export detect-secrets' regex-based rules to `shared/secret_rules.json`, which `shared.redact_rules`
reads at run time (see there why, and what is left out):

    python -m shared.secret_rules_export > shared/secret_rules.json

Nothing imports this module at run time: detect-secrets is needed only here and in the test that
keeps the committed file equal to the installed library's rules.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

EXCLUDED = frozenset({"IPPublicDetector", "PrivateKeyDetector"})


def export_rules() -> dict[str, Any]:
    """The installed detect-secrets' regex-based rules, as `secret_rules.json` holds them."""
    from importlib.metadata import version

    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    rules = []
    plugins: dict[str, Any] = dict(get_mapping_from_secret_type_to_class())
    for secret_type, plugin in sorted(plugins.items()):
        if not issubclass(plugin, RegexBasedDetector) or plugin.__name__ in EXCLUDED:
            continue
        denylist: Any = plugin.denylist  # a class attribute: the sequence of compiled patterns
        for pattern in denylist:
            rules.append(
                {
                    "plugin": plugin.__name__,
                    "secret_type": secret_type,
                    "pattern": pattern.pattern,
                    "flags": int(pattern.flags & (re.IGNORECASE | re.VERBOSE | re.MULTILINE | re.DOTALL)),
                }
            )
    return {"source": "detect-secrets", "version": version("detect-secrets"), "rules": rules}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(export_rules(), indent=2) + "\n")
