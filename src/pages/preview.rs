//! `/preview`: every component in every state, side by side, from fixtures.
//! Needs no API, so `trunk serve` alone shows it.

use crate::api::Backend;
use crate::components::{AlertBanner, CapInput, ConfirmDialog, CreditsSummary, FlexCard, UsageMeter};
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
    state: BillingState,
    #[prop(default = PreviewBehaviour::Succeed)] behaviour: PreviewBehaviour,
    #[prop(default = None)] draft: Option<String>,
) -> impl IntoView {
    let state = RwSignal::new(state);
    view! {
        <Specimen title=title>
            <FlexCard
                state=state
                backend=Backend::Preview(behaviour)
                on_change=Callback::new(move |s| state.set(s))
                submitted_draft=draft
            />
        </Specimen>
    }
}

/// A dialog shown open in place (a real modal would cover the whole preview).
#[component]
fn DialogSpecimen(title: &'static str, which: &'static str) -> impl IntoView {
    let open = RwSignal::new(false);
    let (dialog_title, confirm, danger, text) = match which {
        "enable" => ("Enable Flex Billing?", "Enable Flex Billing", false,
            "Your payment method on file will be automatically charged for any Flex Usage. Flex Billing starts with a default cap of $100 per month."),
        "remove" => ("Remove the flex cap?", "Remove cap", true,
            "There will be no limit on how much your workspace can spend on Flex Usage per billing cycle."),
        _ => ("Disable Flex Billing?", "Disable Flex Billing", true,
            "In-flight training jobs and deployments will stop once your included and prepaid credits run out."),
    };
    let id = match which { "enable" => "preview-enable", "remove" => "preview-remove", _ => "preview-disable" };
    view! {
        <Specimen title=title>
            <button type="button" class="btn btn--secondary" on:click=move |_| open.set(true)>
                {format!("Open “{dialog_title}”")}
            </button>
            <ConfirmDialog
                id=id
                title=dialog_title
                confirm_label=confirm
                danger=danger
                open=open
                pending=Signal::derive(|| false)
                error=Signal::derive(|| None::<String>)
                on_confirm=Callback::new(move |_| open.set(false))
                fallback_focus="preview-title"
            >
                <p>{text}</p>
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
    view! {
        <main class="page page--preview">
            <header class="page__header">
                <h1 class="page__title" id="preview-title" tabindex="-1">"Component preview"</h1>
                <p class="page__meta">"Every component in every state, from fixtures. Nothing here calls the API."</p>
            </header>

            <h2 class="preview__section">"Flex Billing card"</h2>
            <div class="preview__grid">
                <CardSpecimen title="Off (monthly)" state=fixtures::monthly_off() />
                <CardSpecimen title="Off (annual)" state=fixtures::annual(fixtures::monthly_off()) />
                <CardSpecimen title="On with cap (monthly)" state=fixtures::on_with_cap() />
                <CardSpecimen title="On with cap (annual)" state=annual_on.clone() />
                <CardSpecimen title="On without cap" state=fixtures::on_without_cap() />
                <CardSpecimen title="Read-only (member)" state=fixtures::read_only() />
                <CardSpecimen title="Saving" state=fixtures::on_with_cap() behaviour=PreviewBehaviour::Hang draft=Some("250".into()) />
                <CardSpecimen title="Save error" state=fixtures::on_with_cap() behaviour=PreviewBehaviour::Fail draft=Some("250".into()) />
            </div>

            <h2 class="preview__section">"Cap input"</h2>
            <div class="preview__grid">
                <Specimen title="Valid (monthly)">
                    <CapInput state=fixed(fixtures::on_with_cap()) backend=Backend::Preview(PreviewBehaviour::Succeed) on_change=noop id="preview-cap-valid" />
                </Specimen>
                <Specimen title="Valid (annual)">
                    <CapInput state=fixed(annual_on.clone()) backend=Backend::Preview(PreviewBehaviour::Succeed) on_change=noop id="preview-cap-annual" />
                </Specimen>
                <Specimen title="Invalid">
                    <CapInput state=fixed(fixtures::on_with_cap()) backend=Backend::Preview(PreviewBehaviour::Succeed) on_change=noop id="preview-cap-invalid" submitted_draft=Some("0.50".into()) />
                </Specimen>
                <Specimen title="Saving">
                    <CapInput state=fixed(fixtures::on_with_cap()) backend=Backend::Preview(PreviewBehaviour::Hang) on_change=noop id="preview-cap-saving" submitted_draft=Some("250".into()) />
                </Specimen>
            </div>

            <h2 class="preview__section">"Confirmation dialogs"</h2>
            <div class="preview__grid">
                <DialogSpecimen title="Enable" which="enable" />
                <DialogSpecimen title="Remove cap" which="remove" />
                <DialogSpecimen title="Disable" which="disable" />
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
                <Specimen title="20% used">
                    <UsageMeter spend=fixtures::spent(2_000).usage.flex_spend cap=fixtures::spent(2_000).flex.cap interval=billing_domain::PlanInterval::Month resets_on=fixtures::monthly_off().cycle.end />
                </Specimen>
                <Specimen title="84% used">
                    <UsageMeter spend=fixtures::spent(8_400).usage.flex_spend cap=fixtures::spent(8_400).flex.cap interval=billing_domain::PlanInterval::Month resets_on=fixtures::monthly_off().cycle.end />
                </Specimen>
                <Specimen title="Credits summary">
                    <CreditsSummary state=fixed(fixtures::monthly_off()) />
                </Specimen>
            </div>
        </main>
    }
}
