//! The words that cross the wire and go into the store, each spelled once.

/// An enum of wire names: each variant's string is written once and serves
/// serde, the OpenAPI schema (`openapi` feature), [`as_str`] and `parse`.
macro_rules! wire_names {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Its name on the wire and in the store.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }

            /// Reads [`Self::as_str`] back; `None` for any other text.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $( $text => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        /// A string enum of exactly the names serde writes.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{ObjectBuilder, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}

pub(crate) use wire_names;

#[cfg(test)]
mod tests {
    use crate::{AuditAction, Channel, DeliveryState, EventType};

    fn round_trips<T>(all: &[T], as_str: fn(&T) -> &'static str, parse: fn(&str) -> Option<T>)
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        for v in all {
            let wire = serde_json::to_string(v).unwrap();
            assert_eq!(wire, format!("\"{}\"", as_str(v)));
            assert_eq!(&serde_json::from_str::<T>(&wire).unwrap(), v);
            assert_eq!(parse(as_str(v)).as_ref(), Some(v));
        }
        assert!(parse("nonsense").is_none());
    }

    #[test]
    fn every_name_reads_back_as_written() {
        round_trips(DeliveryState::ALL, |v| v.as_str(), DeliveryState::parse);
        round_trips(Channel::ALL, |v| v.as_str(), Channel::parse);
        round_trips(EventType::ALL, |v| v.as_str(), EventType::parse);
        round_trips(AuditAction::ALL, |v| v.as_str(), AuditAction::parse);
    }

    #[cfg(feature = "openapi")]
    #[test]
    fn the_schema_lists_the_wire_names() {
        fn listed<T: utoipa::PartialSchema>() -> serde_json::Value {
            serde_json::to_value(T::schema()).unwrap()["enum"].clone()
        }
        let wire = |all: Vec<&str>| serde_json::json!(all);
        assert_eq!(
            listed::<AuditAction>(),
            wire(AuditAction::ALL.iter().map(|v| v.as_str()).collect())
        );
        assert_eq!(
            listed::<EventType>(),
            wire(EventType::ALL.iter().map(|v| v.as_str()).collect())
        );
        assert_eq!(
            listed::<DeliveryState>(),
            wire(DeliveryState::ALL.iter().map(|v| v.as_str()).collect())
        );
        assert_eq!(
            listed::<Channel>(),
            wire(Channel::ALL.iter().map(|v| v.as_str()).collect())
        );
    }

    #[test]
    fn todays_wire_strings() {
        let names = |all: &[&str]| all.join(" ");
        assert_eq!(
            names(
                &DeliveryState::ALL
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
            ),
            "pending delivered retrying failed"
        );
        assert_eq!(
            names(&Channel::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>()),
            "webhook email"
        );
        assert_eq!(
            names(
                &EventType::ALL
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
            ),
            "flex.threshold_reached flex.cap_reached flex.settings_changed flex.cycle_closed"
        );
        assert_eq!(
            names(
                &AuditAction::ALL
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
            ),
            "enabled disabled cap_set cap_removed prepaid_added"
        );
    }
}
