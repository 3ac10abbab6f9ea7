"""In a real headless Chromium (the page's CSP enforced): the agent picks one offer (story and
channel) on the card with the poster; the poster, the line under it, the success page and the
email a real SMTP server receives all name the same story and channel, and the poster in the email
is the poster previewed."""

from __future__ import annotations

from typing import Any

import pytest
from loopback import ServedApp

from smartvideo.bench.browser import wait_for

pytestmark = pytest.mark.browser


def test_the_offer_chosen_is_the_poster_shown_and_the_email_sent(
    browser: Any, app: Any, agent_key: str, services: Any, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTVIDEO_SMTP_URL", smtp_server.url)
    library = services.renderer.library
    with ServedApp(app, threads=4) as served:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{served.url}/agent")
        page.fill("input[name=key]", agent_key)
        page.click("button[type=submit]")
        page.goto(f"{served.url}/agent?q=anna&customer=C1001")

        # The default is one of the offers: a story by email (the customer has an address).
        default = page.eval_on_selector("#offer", "s => s.value")
        assert default.endswith("|email")
        # Choose another story, still by email: one choice changes the poster and the line.
        offers = page.eval_on_selector_all("#offer option", "os => os.map(o => [o.value, o.disabled])")
        story = next(v.split("|")[0] for v, _ in offers
                     if v.endswith("|email") and v != default and not v.startswith("decision:"))
        title = library.stories[story].title
        page.select_option("#offer", f"{story}|email")
        wait_for(page, f"document.getElementById('poster').src.includes('story={story}')", 10_000)
        wait_for(page, "document.getElementById('poster').complete && "
                       "document.getElementById('poster').naturalWidth > 0", 20_000)
        caption = page.inner_text("#offer-summary")
        assert caption.startswith(f"Sends “{title}” by email to a***@"), caption
        shown = page.request.get(page.eval_on_selector("#poster", "i => i.src")).body()

        page.uncheck("input[name=prerender]")  # the video is made at the click; not under test here
        page.click("#send button[type=submit]")
        page.wait_for_selector("p.ok")
        done = page.inner_text("p.ok")
        assert f"“{title}” was sent by email to a***@" in done, done
        assert errors == []

    [message] = smtp_server.messages
    assert title in message["Subject"]
    assert title in message.get_body(("plain",)).get_content()
    poster = next(p for p in message.walk() if p.get_content_type() == "image/jpeg").get_content()
    assert poster == shown  # the picture the agent saw is the picture the customer gets
