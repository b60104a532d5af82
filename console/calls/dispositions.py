"""Plain-language explanations of how a call ended: what the disposition means, what to try.

Dispositions are free strings (api.md §2). The known ones (the simulator's and the usual SIP
outcomes) get a sentence each; anything else is explained generically and shown verbatim.
Matching ignores case and treats `_`, space and `-` alike (`No_Answer` == `no-answer`).
An unknown disposition is quoted with its control characters made visible (`visible`).
"""

from __future__ import annotations

from dataclasses import dataclass

from console.api.safe_text import visible

#: Longest unknown disposition quoted in an explanation.
DISPOSITION_LIMIT = 80


@dataclass(frozen=True)
class Explanation:
    title: str
    meaning: str
    what_to_try: str
    problem: bool = True  # False for normal endings (completed, ended by us, transferred)


EXPLANATIONS: dict[str, Explanation] = {
    "busy": Explanation(
        "Busy",
        "The callee's line was busy (SIP 486 Busy Here / 600 Busy Everywhere): the phone rang "
        "or was reached, and the callee or their network declined because they are on "
        "another call.",
        "Try again in a few minutes, or at a time that suits the callee's local time."),
    "no-answer": Explanation(
        "No answer",
        "The phone rang until the ringing timeout ran out and nobody picked up (SIP 480/487).",
        "Call again later; if it keeps happening, raise ringing_timeout_seconds (max 80) or "
        "check that the number is the callee's usual one."),
    "rejected": Explanation(
        "Rejected",
        "The call was refused straight away (SIP 603 Decline / 403): the callee declined it, "
        "or their carrier blocks calls from this caller ID.",
        "Check the caller ID (from_number) is registered and not flagged as spam; do not "
        "redial repeatedly — ask the callee through another channel."),
    "carrier-error": Explanation(
        "Carrier error",
        "The telephone network could not connect the call (SIP 5xx, e.g. 503 Service "
        "Unavailable or 502 Bad Gateway): a trunk, route or carrier problem, not the callee.",
        "Retry in a minute. If several numbers fail the same way, it is the route or the SIP "
        "trunk: check the provider's status and the agent's outbound number."),
    "voicemail": Explanation(
        "Voicemail",
        "The call was answered by voicemail or an answering machine, not a person.",
        "Call back later, or send the message another way; an agent can leave a voicemail "
        "if its prompt allows it."),
    "max-duration": Explanation(
        "Max duration reached",
        "The call was cut when it reached max_call_duration_seconds.",
        "If conversations need longer, raise max_call_duration_seconds (up to 86400) in the "
        "template or the form."),
    "transferred": Explanation(
        "Transferred",
        "The call was handed over to another number or SIP address (a transfer), which ended "
        "the agent's leg of it.",
        "Nothing to fix; the target's own records show how the conversation went.",
        problem=False),
    "ended-by-api": Explanation(
        "Ended by request",
        "Someone ended the call through the API (the End action of this console, the CLI, "
        "or another client).",
        "Nothing to fix; redial if it was ended by mistake.",
        problem=False),
    "completed": Explanation(
        "Completed",
        "The call was answered and the conversation finished normally.",
        "Nothing to fix.",
        problem=False),
    "invalid-number": Explanation(
        "Invalid number",
        "The network says the number does not exist or is not reachable (SIP 404/484).",
        "Check the number and its country code; the form shows how it parses."),
    "unreachable": Explanation(
        "Unreachable",
        "The callee's phone is switched off or out of coverage (SIP 480 Temporarily "
        "Unavailable).",
        "Try again later."),
}

ALIASES: dict[str, str] = {
    "noanswer": "no-answer", "no-response": "no-answer", "timeout": "no-answer",
    "declined": "rejected", "decline": "rejected",
    "network-error": "carrier-error", "sip-error": "carrier-error", "congestion": "carrier-error",
    "machine": "voicemail", "answering-machine": "voicemail",
    "max-call-duration": "max-duration",
    "transfer": "transferred",
    "ended-by-user": "ended-by-api", "hangup-api": "ended-by-api",
}


def normalise(disposition: str) -> str:
    key = disposition.strip().lower().replace("_", "-").replace(" ", "-")
    return ALIASES.get(key, key)


def explain(status: str | None, disposition: str | None) -> Explanation | None:
    """The explanation for a call's outcome; None while the call is live and has no
    disposition."""
    if disposition:
        found = EXPLANATIONS.get(normalise(disposition))
        if found is not None:
            return found
        failed = status == "failed"
        quoted = f"'{visible(disposition, DISPOSITION_LIMIT)}'"
        return Explanation(
            f"Outcome {quoted}",
            f"The API reported the disposition {quoted}, which this console does not "
            "know" + (" — the call did not connect." if failed else "."),
            "Check the raw JSON below for details, and the provider's documentation for "
            "this outcome." if failed else "Nothing known to fix.",
            problem=failed)
    if status == "failed":
        return Explanation(
            "Failed (no reason given)",
            "The call failed and the API gave no disposition saying why.",
            "Look at the raw JSON below; retry once, and if it fails again check the agent, "
            "the caller ID and the number.")
    return None


def outcome_named_in(detail: str | None) -> Explanation | None:
    """The known outcome a server's error text names: the 408 of a `wait_until_answered`
    call that did not connect ends with it ("call not answered: busy"). Only an exact name
    counts (a proxy's own "Request Timeout" names no outcome)."""
    if not detail:
        return None
    return EXPLANATIONS.get(normalise(detail.rpartition(":")[2]))
