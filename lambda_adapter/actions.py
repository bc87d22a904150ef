"""Clicks on the report's buttons: Slack `block_actions` (`/slack/interactions`) and Discord message
components (interaction type 3 at `/discord/interactions`).

Every click comes signed by its platform (checked first, as for every route). A button that acts
carries our own signed value too (`shared.actions`): a value whose MAC does not check out
does nothing. Then:
- silence: only a user in `intake.actions.allowed_users` or one of `allowed_groups`; confirmed
  first (Slack: the button's confirmation dialog, which must be accepted before Slack sends the
  click; Discord: an ephemeral "Silence ...?" with a Confirm button, itself signed); then created
  through Alertmanager's API v2 for `silence_minutes`, and said in the thread for everyone.
- re-run: a new investigation of the thread's alert (the thread's first message), reported in
  the same thread.
- 👍/👎: logged with the investigation id and the user; thanked in an ephemeral line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lambda_adapter import keys
from lambda_adapter.events import parse_form
from lambda_adapter.gate import Candidate
from lambda_adapter.jobs import InvestigateJob, ReplyJob
from lambda_adapter.verify import verify_slack
from lambda_adapter.webhook import WebhookRequest, WebhookResponse, require_media_type
from shared.actions import (
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    RERUN,
    SILENCE,
    SILENCE_CONFIRMED,
    Action,
    ActionSigner,
    matchers_text,
    parse_custom_id,
    parse_matchers_text,
)
from shared.contracts import Platform
from shared.errors import BadRequest, SourceError, Unauthorized

if TYPE_CHECKING:
    from lambda_adapter.core import Intake
    from lambda_adapter.settings import ActionSettings

logger = logging.getLogger(__name__)

EPHEMERAL = 64
CHANNEL_MESSAGE, UPDATE_MESSAGE = 4, 7
MATCHERS_FIELD = "Silence matches"  # the embed field the report (and the confirmation) carries
NOT_ALLOWED = "You are not in a group allowed to silence alerts (intake.actions.allowed_groups)."
BAD_SIGNATURE = "This button's signature does not check out; nothing was done."
NO_KEY = "Buttons that act are not set up here (intake.actions.key_env is empty)."

GroupMembers = Callable[[str], set[str]]


def _signer(settings: ActionSettings) -> ActionSigner | None:
    return ActionSigner(settings.key) if settings.key else None


def _allowed(settings: ActionSettings, user: str | None, groups: set[str]) -> bool:
    """Whether `user` (member of `groups`) may silence: listed, or in an allowed group."""
    if not user:
        return False
    return user in settings.allowed_users or bool(groups & set(settings.allowed_groups))


def _silence(settings: ActionSettings, action: Action, who: str, *, slack: bool) -> str:
    """Create the silence; the line the thread gets (raises SourceError)."""
    from lambda_adapter.silence import create_silence

    silence_id = create_silence(
        settings.alertmanager_url,
        action.matchers,
        minutes=settings.silence_minutes,
        created_by=f"sre-on-call for {who}",
        comment=f"Silenced from the report of investigation {action.investigation_id}",
        token=settings.alertmanager_token,
    )
    hours = settings.silence_minutes / 60
    span = f"{hours:g} h" if settings.silence_minutes % 60 == 0 else f"{settings.silence_minutes} min"
    # Label values are alert text: inert in a code span, no markup or mention of their own.
    shown = matchers_text(action.matchers).replace("`", "\u02cb")
    if slack:
        shown = shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"🔕 Silenced `{shown}` for {span} (silence {silence_id}), by {who}."


def _say_in_thread(intake: Intake, chat: str, channel: str, thread: str | None, text: str) -> None:
    intake.scheduler.submit(ReplyJob(chat=chat, channel=channel, text=text, thread_id=thread))


def _rerun(intake: Intake, platform: Platform, channel: str, root: str, delivery: str) -> None:
    """A new investigation of the thread's first message, in that thread (a fresh subject: the
    original investigation's dedup claim must not swallow it)."""
    subject = keys.delivery(f"{platform.value}-rerun", delivery)
    alert = intake.new_alert(platform, channel, subject, thread_id=root)
    job = InvestigateJob(alert=alert, chat=platform.value, addressed=True, fetch_message=root)
    click = keys.delivery(f"{platform.value}-click", delivery)  # a retried delivery of the click
    intake.gate.admit(Candidate(job=job, subject_keys=(subject,), subject_ttl=60, delivery_key=click))


# --------------------------------------------------------------------------------------- Slack


def slack_group_members(settings: ActionSettings) -> GroupMembers:
    """Members of a Slack user group, through usergroups.users.list with the bot token."""

    def members(group: str) -> set[str]:
        from slack_sdk import WebClient

        kwargs: dict[str, Any] = {"token": settings.slack_bot_token, "timeout": 2}
        if settings.slack_api_base:
            kwargs["base_url"] = settings.slack_api_base.rstrip("/") + "/"
        try:
            client = WebClient(**kwargs)
            answer = client.usergroups_users_list(usergroup=group)
        except Exception as e:  # the click is refused, never failed open
            logger.warning("group=<%s>, error=<%s> | could not read a user group", group, type(e).__name__)
            return set()
        return {str(u) for u in answer.get("users") or []}

    return members


def slack_interactions(
    intake: Intake, request: WebhookRequest, group_members: GroupMembers | None = None
) -> WebhookResponse:
    payload = _verified_payload(intake, request)
    if payload is None:
        return WebhookResponse.json(200, {"ok": True, "outcome": "ignored"})
    return _tell_clicker(intake, payload, _slack_click(intake, payload, group_members))


def _verified_payload(intake: Intake, request: WebhookRequest) -> dict[str, Any] | None:
    headers = request.headers
    if not verify_slack(
        intake.settings.secrets.slack_signing_secret,
        request.body,
        headers.get("x-slack-request-timestamp"),
        headers.get("x-slack-signature"),
        now=intake.clock(),
    ):
        raise Unauthorized("invalid or stale Slack signature")
    require_media_type(request, "application/x-www-form-urlencoded")
    try:
        payload = json.loads(parse_form(request.body)["payload"])
    except (KeyError, ValueError, TypeError) as e:
        raise BadRequest("an interaction carries a JSON `payload` form field") from e
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return None
    return payload


def _slack_click(
    intake: Intake, payload: dict[str, Any], group_members: GroupMembers | None
) -> WebhookResponse:
    actions = payload.get("actions") or []
    clicked = actions[0] if actions and isinstance(actions[0], dict) else {}
    action_id = str(clicked.get("action_id") or "")
    user = str((payload.get("user") or {}).get("id") or "") or None
    channel = str((payload.get("channel") or payload.get("container") or {}).get("id") or "")
    channel = channel or str((payload.get("container") or {}).get("channel_id") or "")
    message = payload.get("message") or {}
    thread = str(message.get("thread_ts") or (payload.get("container") or {}).get("thread_ts") or "") or None
    settings = intake.settings.actions
    name = action_id.removeprefix("sre_")
    if name in (FEEDBACK_UP, FEEDBACK_DOWN):
        logger.info(
            "investigation=<%s>, user=<%s>, feedback=<%s> | report feedback",
            str(clicked.get("value") or "")[:128],
            user,
            "up" if name == FEEDBACK_UP else "down",
        )
        return _slack_outcome("feedback", "Thanks: noted for this investigation.")
    if name not in (SILENCE, RERUN):
        return _slack_outcome("ignored", "")
    signer = _signer(settings)
    if signer is None:
        return _slack_outcome("refused", NO_KEY)
    action = signer.from_value(str(clicked.get("value") or ""))
    if action is None or action.name != name:
        logger.warning("user=<%s>, action=<%s> | a button value failed its signature", user, name)
        return _slack_outcome("refused", BAD_SIGNATURE)
    if name == RERUN:
        if not channel or not thread:
            return _slack_outcome("refused", "This report is not in a thread I can re-run.")
        delivery = str(payload.get("trigger_id") or clicked.get("action_ts") or "")
        _rerun(intake, Platform.SLACK, channel, thread, delivery)
        return _slack_outcome("rerun", "Re-running the investigation; the report follows in this thread.")
    groups: set[str] = set()
    if user and user not in settings.allowed_users and settings.allowed_groups:
        lookup = group_members or slack_group_members(settings)
        groups = {g for g in settings.allowed_groups if user in lookup(g)}
    if not _allowed(settings, user, groups):
        logger.warning("user=<%s> | silence refused: not in an allowed group", user)
        return _slack_outcome("refused", NOT_ALLOWED)
    try:
        line = _silence(settings, action, f"<@{user}>", slack=True)
    except SourceError as e:
        logger.error("investigation=<%s>, error=<%s> | silence failed", action.investigation_id, e)
        return _slack_outcome("failed", f"The silence could not be created: {e}")
    if channel:
        _say_in_thread(intake, "slack", channel, thread, line)
    return _slack_outcome("silenced", line)


def _slack_outcome(outcome: str, text: str) -> WebhookResponse:
    # Slack ignores the body of a block_actions answer; the outcome is for logs and tests. The
    # clicker hears back through the click's response_url (`_tell_clicker`).
    return WebhookResponse.json(200, {"ok": True, "outcome": outcome, "text": text})


def _tell_clicker(intake: Intake, payload: dict[str, Any], answer: WebhookResponse) -> WebhookResponse:
    """Say the outcome to the one who clicked, as an ephemeral message through the click's
    response_url (only Slack's own URL is followed). Best effort, 2 s at most."""
    url = str(payload.get("response_url") or "")
    text = str(json.loads(answer.body).get("text") or "")
    if not text or not url.startswith(intake.settings.response_url_prefix):
        return answer
    import httpx  # only a click pays for it

    try:
        body = {"response_type": "ephemeral", "replace_original": False, "text": text}
        httpx.post(url, json=body, timeout=2.0)
    except httpx.HTTPError as e:
        logger.warning("error=<%s> | could not answer the click", type(e).__name__)
    return answer


# ------------------------------------------------------------------------------------- Discord


def _ephemeral(text: str, **extra: Any) -> WebhookResponse:
    data = {"content": text, "flags": EPHEMERAL, "allowed_mentions": {"parse": []}, **extra}
    return WebhookResponse.json(200, {"type": CHANNEL_MESSAGE, "data": data})


def _embed_action(message: dict[str, Any], name: str) -> Action | None:
    """The action a message of ours describes: the investigation in its embed's footer and the
    matchers in its `Silence matches` field."""
    for embed in message.get("embeds") or []:
        footer = str((embed.get("footer") or {}).get("text") or "")
        if not footer.startswith("investigation "):
            continue
        investigation = footer.removeprefix("investigation ").strip()
        matchers: tuple[tuple[str, str], ...] = ()
        for field in embed.get("fields") or []:
            if field.get("name") == MATCHERS_FIELD:
                matchers = parse_matchers_text(
                    str(field.get("value") or "").strip("`").replace("\u02cb", "`")
                )
        return Action(name, investigation, matchers)
    return None


def _confirmation(signer: ActionSigner, action: Action, minutes: int) -> WebhookResponse:
    confirmed = Action(SILENCE_CONFIRMED, action.investigation_id, action.matchers)
    embed = {
        "title": "Silence this alert?",
        "fields": [{"name": MATCHERS_FIELD, "value": f"`{matchers_text(action.matchers)}`"}],
        "footer": {"text": f"investigation {action.investigation_id}"},
    }
    button = {
        "type": 2,
        "style": 4,
        "label": f"Silence for {minutes} min",
        "custom_id": signer.custom_id(confirmed),
    }
    return _ephemeral(
        f"Silence `{matchers_text(action.matchers)}` in Alertmanager for {minutes} min?",
        embeds=[embed],
        components=[{"type": 1, "components": [button]}],
    )


def discord_component(intake: Intake, body: bytes) -> WebhookResponse:
    """A click on one of our buttons (the request's signature was already checked)."""
    try:
        interaction = json.loads(body)
    except ValueError as e:
        raise BadRequest("the interaction is not JSON") from e
    data = interaction.get("data") or {}
    parsed = parse_custom_id(str(data.get("custom_id") or ""))
    if parsed is None:
        return _ephemeral("I do not know that button.")
    name, mac = parsed
    member = interaction.get("member") or {}
    user = str((member.get("user") or interaction.get("user") or {}).get("id") or "") or None
    roles = {str(r) for r in member.get("roles") or []}
    channel = str(interaction.get("channel_id") or "")
    message = interaction.get("message") or {}
    settings = intake.settings.actions
    if name in (FEEDBACK_UP, FEEDBACK_DOWN):
        found = _embed_action(message, name)
        logger.info(
            "investigation=<%s>, user=<%s>, feedback=<%s> | report feedback",
            found.investigation_id if found else None,
            user,
            "up" if name == FEEDBACK_UP else "down",
        )
        return _ephemeral("Thanks: noted for this investigation.")
    signer = _signer(settings)
    if signer is None:
        return _ephemeral(NO_KEY)
    action = _embed_action(message, name)
    if action is not None and name == RERUN:  # a re-run is of the investigation, matchers aside
        action = Action(RERUN, action.investigation_id)
    if action is None or name not in (SILENCE, SILENCE_CONFIRMED, RERUN) or not signer.check(action, mac):
        logger.warning("user=<%s>, action=<%s> | a button failed its signature", user, name)
        return _ephemeral(BAD_SIGNATURE)
    if name == RERUN:
        parent = str((interaction.get("channel") or {}).get("parent_id") or "")
        if not parent or not channel:
            return _ephemeral("This report is not in a thread I can re-run.")
        # A thread started from a message has that message's id: the alert is its first message.
        _rerun(intake, Platform.DISCORD, parent, channel, str(interaction.get("id") or ""))
        return _ephemeral("Re-running the investigation; the report follows in this thread.")
    if not _allowed(settings, user, roles):
        logger.warning("user=<%s> | silence refused: not in an allowed group", user)
        return _ephemeral(NOT_ALLOWED)
    if name == SILENCE:
        return _confirmation(signer, action, settings.silence_minutes)
    try:
        line = _silence(settings, action, f"<@{user}>", slack=False)
    except SourceError as e:
        logger.error("investigation=<%s>, error=<%s> | silence failed", action.investigation_id, e)
        return WebhookResponse.json(
            200,
            {
                "type": UPDATE_MESSAGE,
                "data": {"content": f"The silence could not be created: {e}", "components": []},
            },
        )
    if channel:
        _say_in_thread(intake, "discord", channel, channel, line)
    return WebhookResponse.json(
        200, {"type": UPDATE_MESSAGE, "data": {"content": line, "embeds": [], "components": []}}
    )
