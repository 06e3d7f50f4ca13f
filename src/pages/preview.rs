//! `/preview`: every component in every state, side by side, from fixtures.
//! Needs no API, so `trunk serve` alone shows it.

use crate::api::{ApiError, Backend};
use crate::components::{
    AlertBanner, CapInput, CreditsSummary, ErrorNotice, FlexCard, SignInPrompt, Skeleton,
    UsageMeter,
};
use crate::fixtures::{self, PreviewBehaviour};
use billing_domain::api::BillingState;
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

/// A card bound to its own fixture, so each specimen can be played with.
#[component]
fn CardSpecimen(
    title: &'static str,
    /// Unique prefix for the card's element ids.
    id: &'static str,
    state: BillingState,
    #[prop(default = PreviewBehaviour::Succeed)] behaviour: PreviewBehaviour,
    #[prop(default = None)] draft: Option<String>,
    #[prop(default = None)] dialog: Option<&'static str>,
    #[prop(optional)] confirmed: bool,
) -> impl IntoView {
    let state = RwSignal::new(state);
    view! {
        <Specimen title=title>
            <FlexCard
                id=id
                state=state
                backend=Backend::Preview(behaviour)
                on_change=Callback::new(move |s| state.set(s))
                submitted_draft=draft
                open_dialog=dialog
                confirmed=confirmed
            />
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
    let noop = Callback::new(|_: BillingState| {});
    let fixed = |s: BillingState| Signal::derive(move || s.clone());
    let live = Backend::Preview(PreviewBehaviour::Succeed);
    let failed = RwSignal::new(Some(ApiError::Unreachable));
    let month = billing_domain::PlanInterval::Month;
    let meter = move |cents: i64, id: &'static str| {
        let s = fixtures::spent(cents);
        view! { <UsageMeter spend=s.usage.flex_spend cap=s.flex.cap interval=month resets_on=s.cycle.end id=id /> }
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
                <CardSpecimen title="Saving" id="p-saving" state=fixtures::on_with_cap() behaviour=PreviewBehaviour::Hang draft=Some("250".into()) />
                <CardSpecimen title="Save error" id="p-save-error" state=fixtures::on_with_cap() behaviour=PreviewBehaviour::Fail draft=Some("250".into()) />
            </div>

            <h2 class="preview__section">"Cap input"</h2>
            <div class="preview__grid">
                <Specimen title="Valid (monthly)">
                    <CapInput id="p-cap-valid" state=fixed(fixtures::on_with_cap()) backend=live on_change=noop />
                </Specimen>
                <Specimen title="Valid (annual)">
                    <CapInput id="p-cap-annual" state=fixed(annual_on.clone()) backend=live on_change=noop />
                </Specimen>
                <Specimen title="Invalid">
                    <CapInput id="p-cap-invalid" state=fixed(fixtures::on_with_cap()) backend=live on_change=noop submitted_draft=Some("0.50".into()) />
                </Specimen>
                <Specimen title="Saving">
                    <CapInput id="p-cap-saving" state=fixed(fixtures::on_with_cap()) backend=Backend::Preview(PreviewBehaviour::Hang) on_change=noop submitted_draft=Some("250".into()) />
                </Specimen>
                <Specimen title="Save error">
                    <CapInput id="p-cap-error" state=fixed(fixtures::on_with_cap()) backend=Backend::Preview(PreviewBehaviour::Fail) on_change=noop submitted_draft=Some("250".into()) />
                </Specimen>
            </div>

            <h2 class="preview__section">"Confirmation dialogs"</h2>
            <p class="page__meta">"The card's own dialogs, shown in place; on the page they open as modals."</p>
            <div class="preview__grid">
                <CardSpecimen title="Enable (monthly)" id="p-dlg-enable" state=fixtures::monthly_off() dialog=Some("enable") />
                <CardSpecimen title="Enable (annual)" id="p-dlg-enable-annual" state=fixtures::annual(fixtures::monthly_off()) dialog=Some("enable") />
                <CardSpecimen title="Remove cap dialog" id="p-dlg-remove" state=fixtures::on_with_cap() dialog=Some("remove") />
                <CardSpecimen title="Disable dialog" id="p-dlg-disable" state=fixtures::on_with_cap() dialog=Some("disable") />
                <CardSpecimen title="Confirming" id="p-dlg-pending" state=fixtures::monthly_off() dialog=Some("enable") behaviour=PreviewBehaviour::Hang confirmed=true />
                <CardSpecimen title="Confirmation failed" id="p-dlg-error" state=fixtures::on_with_cap() dialog=Some("disable") behaviour=PreviewBehaviour::Fail confirmed=true />
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
                    <CreditsSummary state=fixed(fixtures::monthly_off()) />
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
                    <CardSpecimen title="Disable dialog (360 px)" id="p-phone-disable" state=fixtures::on_with_cap() dialog=Some("disable") />
                </div>
                <div class="preview__phone">
                    <CardSpecimen title="Invalid cap (360 px)" id="p-phone-invalid" state=fixtures::annual(fixtures::on_with_cap()) draft=Some("abc".into()) />
                </div>
            </div>

            <h2 class="preview__section">"Page states"</h2>
            <div class="preview__grid">
                <Specimen title="Loading">
                    <Skeleton />
                </Specimen>
                <Specimen title="Fetch failed">
                    <ErrorNotice error=failed fetching=RwSignal::new(false) on_retry=Callback::new(|_| {}) />
                </Specimen>
                <Specimen title="Signed out">
                    <SignInPrompt />
                </Specimen>
            </div>
        </main>
    }
}
