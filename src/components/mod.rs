//! The Plan & Billing page's components, one file (or folder) each.

pub mod alert_banner;
pub mod cap_input;
pub mod confirm_dialog;
pub mod credits_summary;
pub mod feature_breakdown;
pub mod flex_card;
pub mod page_states;
pub mod preset;
pub mod spend_chart;
pub mod usage_meter;

pub use alert_banner::AlertBanner;
pub use cap_input::CapInput;
pub use confirm_dialog::ConfirmDialog;
pub use credits_summary::CreditsSummary;
pub use feature_breakdown::FeatureBreakdown;
pub use flex_card::FlexCard;
pub use page_states::{ErrorNotice, SignInPrompt, Skeleton};
pub use preset::{CardDialog, Preset};
pub use spend_chart::SpendChart;
pub use usage_meter::UsageMeter;
