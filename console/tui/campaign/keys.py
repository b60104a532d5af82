"""The Campaign screen's keys (ids `campaign.*`; remappable like every binding)."""

from __future__ import annotations

from console.tui.keys import KeySpec

CAMPAIGN_PLAN = KeySpec("campaign.plan", "ctrl+r", "plan", "Plan", "Plan the CSV (dry run)",
                        priority=True,
                        help="Read the CSV, apply the template, DNC list and calling hours, and "
                             "show every row's verdict. Nothing is dialled.")
CAMPAIGN_START = KeySpec("campaign.start", "ctrl+s", "start", "Start", "Start the campaign",
                         priority=True,
                         help="Record the planned campaign in the journal and start dialling "
                              "(pacing, concurrency cap, calling hours, never twice).")
CAMPAIGN_PAUSE = KeySpec("campaign.pause", "ctrl+o", "pause", "Pause/Resume",
                         "Pause or resume the campaign", priority=True,
                         help="Pause: start no more calls (live ones go on). Again: resume.")
CAMPAIGN_STOP = KeySpec("campaign.stop", "ctrl+t", "stop", "Stop", "Stop the campaign",
                        priority=True,
                        help="Start no more calls and finish the live ones; `resume` goes on "
                             "later from the journal.")
CAMPAIGN_OPEN_CALL = KeySpec("campaign.open_call", "enter", "open_call", "Open call",
                             "Show the selected row's call in the Calls screen", show=False,
                             help="Switch to the Calls screen on the selected row's call.")

CAMPAIGN_KEYS: tuple[KeySpec, ...] = (CAMPAIGN_PLAN, CAMPAIGN_START, CAMPAIGN_PAUSE,
                                      CAMPAIGN_STOP)
