"""Links from a report to the deep dives of the sites and queues it names.

:func:`deep_dive_href` is the file the build gives a deep dive
(:func:`qa_insights.reports.engine.kinds.report_stem`), :func:`section_href` a section of the
same report; :class:`LinkLine` shows links as one escaped line, :func:`deep_dive_links` those
to the deep dives of the drivers a summary names and of the scopes that missed a target.

Examples
--------
>>> deep_dive_href("site", "bpo_beta_cebu")
'rca_site_bpo_beta_cebu.html'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa_insights.reports.summary import Claim

__all__ = ["LinkLine", "deep_dive_href", "deep_dive_links", "section_href"]


def deep_dive_href(scope: str, value: str) -> str:
    """Link, from a report of the same month, to the deep dive of a site or queue: the file
    :func:`qa_insights.reports.engine.kinds.report_stem` names. ``qa-insights build
    --reports rca`` builds it for every site the organisation's change findings name and
    every site or queue that missed a quality target
    (:func:`qa_insights.reports.engine.named.named_scopes`), so a link from the MQR's driver
    or the MBR's missed-target actions resolves.

    Examples
    --------
    >>> deep_dive_href("site", "bpo_beta_cebu"), deep_dive_href("queue", "spam")
    ('rca_site_bpo_beta_cebu.html', 'rca_spam.html')
    """
    from qa_insights.reports.engine.kinds import report_stem

    return f"{report_stem('rca', scope, value)}.html"


@dataclass(frozen=True)
class LinkLine:
    """Links shown as one escaped line ("Deep dives: site X · queue Y"); nothing when there
    are none.

    Attributes
    ----------
    links : tuple of (str, str)
        (label, href) pairs.
    lead : str
        The words before the links.

    Examples
    --------
    >>> LinkLine((("Why cost moved", section_href("Why cost moved")),), "In detail below"
    ...          )._repr_html_()
    '<p class="qa-note">In detail below: <a href="#Why-cost-moved">Why cost moved</a></p>'
    """

    links: tuple[tuple[str, str], ...]
    lead: str = "Deep dives"

    def _repr_html_(self) -> str:
        from qa_insights.present.display import escape

        if not self.links:
            return ""
        anchors = " · ".join(f'<a href="{escape(href)}">{escape(label)}</a>'
                             for label, href in self.links)
        return f'<p class="qa-note">{escape(self.lead)}: {anchors}</p>'


def section_href(heading: str) -> str:
    """Link to a section of the same report: the id nbconvert gives a Markdown heading
    (its words joined by hyphens).

    Examples
    --------
    >>> section_href("Budget against actual")
    '#Budget-against-actual'
    """
    return "#" + "-".join(heading.split())


def deep_dive_links(claims: Sequence[Claim], dimension: str = "site",
                    also: Sequence[tuple[str, str]] = ()) -> LinkLine:
    """Links to the deep dive of each segment a summary names as the driver
    (``driver_mix`` / ``driver_rate``), then of each (scope, value) in ``also`` (the sites
    and queues that missed a target: :func:`qa_insights.reports.engine.named.
    missed_target_scopes`). The build makes a deep dive for each of them when the summary
    is the organisation's (segments: sites); pass its claims.

    Examples
    --------
    >>> c = Claim("driver_mix", "a<b", "...", True, numbers={"segment": "a<b"})
    >>> deep_dive_links([c])._repr_html_()
    '<p class="qa-note">Deep dives: <a href="rca_site_a_b-4a826a.html">site a&lt;b</a></p>'
    >>> deep_dive_links([c], also=[("queue", "spam"), ("site", "a<b")]).links
    (('site a<b', 'rca_site_a_b-4a826a.html'), ('queue spam (missed a target)', 'rca_spam.html'))
    >>> deep_dive_links([])._repr_html_()
    ''
    """
    named = [(dimension, str(c.numbers.get("segment", c.scope))) for c in claims
             if c.kind in ("driver_mix", "driver_rate")]
    why = {pair: "" for pair in named} | {pair: " (missed a target)" for pair in also
                                          if pair not in named}
    return LinkLine(tuple((f"{scope.replace('_', ' ')} {value}{why[scope, value]}",
                           deep_dive_href(scope, value)) for scope, value in why))
