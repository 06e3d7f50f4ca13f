//! `/preview`: every component in every state, side by side, from fixtures.
//! Needs no API, so `trunk serve` alone shows it.

use crate::api::{ApiError, Backend};
use crate::components::{
    AlertBanner, CapInput, ConfirmDialog, CreditsSummary, ErrorNotice, FlexCard, SignInPrompt,
    Skeleton, UsageMeter,
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
            />
        </Specimen>
    }
}

/// The three confirmations as the card words them.
fn dialog_copy(
    which: &str,
    interval: billing_domain::PlanInterval,
) -> (&'static str, &'static str, bool, String) {
    match which {
        "enable" => (
            "Enable Flex Billing?",
            "Enable Flex Billing",
            false,
            format!(
                "Your payment method on file will be automatically charged for any Flex Usage. Flex Billing starts with a default cap of {} {}.",
                interval.default_cap().to_string().trim_end_matches(".00"),
                interval.per()
            ),
        ),
        "remove" => (
            "Remove the flex cap?",
            "Remove cap",
            true,
            "There will be no limit on how much your workspace can spend on Flex Usage per billing cycle.".into(),
        ),
        _ => (
            "Disable Flex Billing?",
            "Disable Flex Billing",
            true,
            "In-flight training jobs and deployments will stop once your included and prepaid credits run out.".into(),
        ),
    }
}

/// A dialog shown open in place (a real modal would cover the whole preview).
#[component]
fn DialogSpecimen(
    title: &'static str,
    id: &'static str,
    which: &'static str,
    #[prop(default = billing_domain::PlanInterval::Month)] interval: billing_domain::PlanInterval,
    #[prop(optional)] pending: bool,
    #[prop(default = None)] error: Option<&'static str>,
) -> impl IntoView {
    let open = RwSignal::new(true);
    let (dialog_title, confirm, danger, text) = dialog_copy(which, interval);
    view! {
        <Specimen title=title>
            <ConfirmDialog
                id=id
                title=dialog_title
                confirm_label=confirm
                danger=danger
                inline=true
                open=open
                pending=Signal::derive(move || pending)
                error=Signal::derive(move || error.map(String::from))
                on_confirm=Callback::new(|_| {})
                fallback_focus="preview-title"
            >
                <p>{text.clone()}</p>
            </ConfirmDialog>
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
            <div class="preview__grid">
                <DialogSpecimen title="Enable (monthly)" id="p-dlg-enable" which="enable" />
                <DialogSpecimen title="Enable (annual)" id="p-dlg-enable-annual" which="enable" interval=billing_domain::PlanInterval::Year />
                <DialogSpecimen title="Remove cap" id="p-dlg-remove" which="remove" />
                <DialogSpecimen title="Disable" id="p-dlg-disable" which="disable" />
                <DialogSpecimen title="Confirming" id="p-dlg-pending" which="enable" pending=true />
                <DialogSpecimen title="Error" id="p-dlg-error" which="disable" error=Some("Can't reach the billing service. Check your connection and try again.") />
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
