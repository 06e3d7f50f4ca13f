//! The preview page: every component in every state, side by side, from
//! fixtures. Needs no API, so it works without a server.

use crate::backend::{Behaviour, PreviewServer};
use crate::fixtures;
use billing_domain::{ActivityEntry, BillingState, DeliveryLog, FlexChange, Money, PlanInterval};
use billing_page::api::ApiError;
use billing_page::components::{
    AlertBanner, CapInput, CardDialog, CreditsSummary, ErrorNotice, FlexCard, Preset, SignInPrompt,
    Skeleton, UsageMeter,
};
use billing_page::hooks::Billing;
use leptos::context::Provider;
use leptos::prelude::*;

/// One labelled state in the preview grid.
#[component]
fn Specimen(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <figure class="specimen">
            <figcaption class="specimen__title">{title}</figcaption>
            <div class="specimen__body">{children()}</div>
        </figure>
    }
}

/// The contexts a specimen's component reads: a billing of its own, on a
/// server of its own, so each specimen can be played with, and how it starts.
#[component]
fn Fixture(
    state: BillingState,
    #[prop(optional)] behaviour: Behaviour,
    #[prop(optional)] preset: Preset,
    /// The live stream's condition (none: not shown).
    #[prop(default = None)]
    live: Option<bool>,
    /// The audit trail, newest first.
    #[prop(default = fixtures::history())]
    history: Vec<ActivityEntry>,
    /// Where alerts go and what became of them: no webhook yet, unless said otherwise.
    #[prop(default = fixtures::alerts_none())]
    log: DeliveryLog,
    children: Children,
) -> impl IntoView {
    let server = PreviewServer::new(behaviour, history, log);
    let billing = Billing::with_state(state, server).showing_live(live);
    view! {
        <Provider value=billing>
            <Provider value=preset>{children()}</Provider>
        </Provider>
    }
}

/// A Flex Billing card on its own fixture.
#[component]
fn CardSpecimen(
    title: &'static str,
    /// Unique prefix for the card's element ids.
    id: &'static str,
    state: BillingState,
    #[prop(optional)] behaviour: Behaviour,
    #[prop(optional)] preset: Preset,
    #[prop(default = None)] live: Option<bool>,
    #[prop(default = fixtures::history())] history: Vec<ActivityEntry>,
    #[prop(default = fixtures::alerts_none())] log: DeliveryLog,
) -> impl IntoView {
    view! {
        <Specimen title=title>
            <Fixture state=state behaviour=behaviour preset=preset live=live history=history log=log>
                <FlexCard id=id />
            </Fixture>
        </Specimen>
    }
}

/// A cap field on its own fixture.
#[component]
fn CapSpecimen(
    title: &'static str,
    /// The field's element id.
    id: &'static str,
    state: BillingState,
    #[prop(optional)] behaviour: Behaviour,
    #[prop(optional)] preset: Preset,
) -> impl IntoView {
    view! {
        <Specimen title=title>
            <Fixture state=state behaviour=behaviour preset=preset>
                <CapInput id=id />
            </Fixture>
        </Specimen>
    }
}

/// The designers' preview.
#[component]
pub fn PreviewPage() -> impl IntoView {
    document().set_title("Component preview · Plan & Billing");
    let annual_on = fixtures::annual(fixtures::on_with_cap());
    let banners = |s: BillingState| {
        let (interval, ws) = (s.plan.interval, s.workspace.slug.clone());
        s.alerts()
            .into_iter()
            .map(|a| view! { <AlertBanner alert=a interval=interval ws=ws.clone() can_manage=true /> })
            .collect_view()
    };
    let submitted = |text: &str| Preset::Submitted(text.into());
    // Someone else lowered the cap to $50 just before the card's change.
    let lowered_elsewhere =
        Behaviour::ChangedElsewhere(FlexChange::SetCap(Money::from_cents(5_000)));
    let meter = move |cents: i64, id: &'static str| {
        let s = fixtures::spent(cents);
        view! { <UsageMeter spend=s.usage.flex_spend cap=s.flex.cap interval=PlanInterval::Month resets_on=s.cycle.end id=id /> }
    };
    view! {
        <main class="page page--preview">
            <header class="page__header">
                <h1 class="page__title" id="preview-title" tabindex="-1">"Component preview"</h1>
                <p class="page__meta">"Every component in every state, from fixtures. Nothing here calls the API."</p>
            </header>

            <h2 class="preview__section">"Flex Billing card"</h2>
            <div class="preview__grid">
                <CardSpecimen title="Off (monthly)" id="p-off" state=fixtures::monthly_off() />
                <CardSpecimen title="Off (annual)" id="p-off-annual" state=fixtures::annual(fixtures::monthly_off()) />
                <CardSpecimen title="On with cap (monthly)" id="p-on" state=fixtures::on_with_cap() />
                <CardSpecimen title="On with cap (annual)" id="p-on-annual" state=annual_on.clone() />
                <CardSpecimen title="On without cap" id="p-uncapped" state=fixtures::on_without_cap() />
                <CardSpecimen title="Read-only (member)" id="p-member" state=fixtures::read_only() />
                <CardSpecimen title="Live updates" id="p-live" state=fixtures::on_with_cap() live=Some(true) />
                <CardSpecimen title="Forecast: the cap before the reset" id="p-forecast-cap" state=fixtures::spending(500) />
                <CardSpecimen title="Forecast: within the cap" id="p-forecast-within" state=fixtures::spending(300) />
                <CardSpecimen title="Reconnecting" id="p-reconnecting" state=fixtures::on_with_cap() live=Some(false) />
                <CardSpecimen title="Saving" id="p-saving" state=fixtures::on_with_cap() behaviour=Behaviour::Hang preset=submitted("250") />
                <CardSpecimen title="Save error" id="p-save-error" state=fixtures::on_with_cap() behaviour=Behaviour::Fail preset=submitted("250") />
                <CardSpecimen title="Changed elsewhere (cap field)" id="p-stale-save" state=fixtures::on_with_cap() behaviour=lowered_elsewhere preset=submitted("300") />
                <CardSpecimen title="No changes yet" id="p-no-history" state=fixtures::monthly_off() history=Vec::new() />
                <CardSpecimen title="Webhook registered: the secret, once" id="p-alerts-secret" state=fixtures::on_with_cap() log=fixtures::alerts_email() preset=Preset::Registered(fixtures::HOOK.into()) />
                <CardSpecimen title="Alerts sent, retrying and failed" id="p-alerts-log" state=fixtures::spent(8_400) log=fixtures::alerts_sent() />
            </div>

            <h2 class="preview__section">"Cap input"</h2>
            <div class="preview__grid">
                <CapSpecimen title="Valid (monthly)" id="p-cap-valid" state=fixtures::on_with_cap() />
                <CapSpecimen title="Valid (annual)" id="p-cap-annual" state=annual_on.clone() />
                <CapSpecimen title="Invalid" id="p-cap-invalid" state=fixtures::on_with_cap() preset=submitted("0.50") />
                <CapSpecimen title="Saving" id="p-cap-saving" state=fixtures::on_with_cap() behaviour=Behaviour::Hang preset=submitted("250") />
                <CapSpecimen title="Save error" id="p-cap-error" state=fixtures::on_with_cap() behaviour=Behaviour::Fail preset=submitted("250") />
            </div>

            <h2 class="preview__section">"Confirmation dialogs"</h2>
            <p class="page__meta">"The card's own dialogs, shown in place; on the page they open as modals."</p>
            <div class="preview__grid">
                <CardSpecimen title="Enable (monthly)" id="p-dlg-enable" state=fixtures::monthly_off() preset=Preset::Open(CardDialog::Enable) />
                <CardSpecimen title="Enable (annual)" id="p-dlg-enable-annual" state=fixtures::annual(fixtures::monthly_off()) preset=Preset::Open(CardDialog::Enable) />
                <CardSpecimen title="Remove cap dialog" id="p-dlg-remove" state=fixtures::on_with_cap() preset=Preset::Open(CardDialog::RemoveCap) />
                <CardSpecimen title="Disable dialog" id="p-dlg-disable" state=fixtures::on_with_cap() preset=Preset::Open(CardDialog::Disable) />
                <CardSpecimen title="Confirming" id="p-dlg-pending" state=fixtures::monthly_off() behaviour=Behaviour::Hang preset=Preset::Confirmed(CardDialog::Enable) />
                <CardSpecimen title="Confirmation failed" id="p-dlg-error" state=fixtures::on_with_cap() behaviour=Behaviour::Fail preset=Preset::Confirmed(CardDialog::Disable) />
                <CardSpecimen title="Changed elsewhere (dialog)" id="p-dlg-stale" state=fixtures::on_with_cap() behaviour=lowered_elsewhere preset=Preset::Confirmed(CardDialog::RemoveCap) />
            </div>

            <h2 class="preview__section">"Alert banners"</h2>
            <div class="preview__stack">
                <Specimen title="80% of the cap, flex in use">{banners(fixtures::spent(8_400))}</Specimen>
                <Specimen title="Cap reached">{banners(fixtures::spent(10_000))}</Specimen>
                <Specimen title="Flex credits in use">{banners(fixtures::spent(2_000))}</Specimen>
                <Specimen title="Cap reached (annual)">{banners({
                    let mut s = fixtures::annual(fixtures::on_with_cap());
                    s.usage.flex_spend = s.flex.cap.unwrap_or_default();
                    s
                })}</Specimen>
            </div>

            <h2 class="preview__section">"Usage meter and credits"</h2>
            <div class="preview__grid">
                <Specimen title="20% used">{meter(2_000, "p-meter-20")}</Specimen>
                <Specimen title="84% used">{meter(8_400, "p-meter-84")}</Specimen>
                <Specimen title="Cap reached">{meter(10_000, "p-meter-100")}</Specimen>
                <Specimen title="Credits summary">
                    <CreditsSummary state=Signal::stored(fixtures::monthly_off()) />
                </Specimen>
            </div>

            <h2 class="preview__section">"At 360 px"</h2>
            <div class="preview__phones">
                <div class="preview__phone">
                    <Specimen title="Warning, card on (360 px)">
                        {banners(fixtures::spent(8_400))}
                        <CardSpecimen title="Card" id="p-phone-on" state=fixtures::spent(8_400) />
                    </Specimen>
                </div>
                <div class="preview__phone">
                    <CardSpecimen title="Disable dialog (360 px)" id="p-phone-disable" state=fixtures::on_with_cap() preset=Preset::Open(CardDialog::Disable) />
                </div>
                <div class="preview__phone">
                    <CardSpecimen title="Invalid cap (360 px)" id="p-phone-invalid" state=fixtures::annual(fixtures::on_with_cap()) preset=submitted("abc") />
                </div>
            </div>

            <h2 class="preview__section">"Page states"</h2>
            <div class="preview__grid">
                <Specimen title="Loading">
                    <Skeleton />
                </Specimen>
                <Specimen title="Fetch failed">
                    <ErrorNotice error=Signal::stored(Some(ApiError::Unreachable)) fetching=Signal::stored(false) on_retry=Callback::new(|_| {}) />
                </Specimen>
                <Specimen title="Signed out">
                    <SignInPrompt />
                </Specimen>
            </div>
        </main>
    }
}
