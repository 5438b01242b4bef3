"""Programme files for tests: a role-pair series and an up-to-two series with open sets."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.rules.programme import Programme, parse_programme

# Far enough ahead that no session has started while the tests run.
YEAR = datetime.now(UTC).year + 2

TEXT = f"""
allowed_domains: []
series:
  - key: procurement
    title: Sustainable Procurement
    theme: delivering a sustainable procurement-based project
    policy: role_pair
  - key: adaptation
    title: Sustainable Adaptation
    theme: delivering a sustainable adaptation project
    policy: up_to_two
sets:
  - key: procurement-tue
    series: procurement
    name: Sustainable Procurement – Tuesday set
    booking: open
    facilitators: [facilitator@lga.gov.uk]
    sessions:
      - {YEAR}-03-02 10:30-12:00
      - {YEAR}-03-16 10:30-12:00
      - {YEAR}-03-30 10:30-12:00
  - key: adaptation-wed
    series: adaptation
    name: Sustainable Adaptation – Wednesday set
    booking: open
    facilitators: [facilitator@lga.gov.uk]
    sessions:
      - {YEAR}-05-05 10:30-12:00
      - {YEAR}-05-19 10:30-12:00
      - {YEAR}-06-02 10:30-12:00
"""


def programme() -> Programme:
    return parse_programme(TEXT)
