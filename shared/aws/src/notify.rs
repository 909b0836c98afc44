//! EventBridge events Rolegate emits: the vendor notification when a role
//! is ready, and the guard's reports.

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use serde_json::Value;

use crate::error::{AwsError, describe};

pub use rolegate_policy::events::{
    READY_DETAIL_TYPE as INTEGRATION_ROLE_READY, READY_SOURCE as EVENT_SOURCE,
};

/// Sends `detail` as an `Integration Role Ready` event to the bus `bus_arn`.
pub async fn notify_ready(client: &Client, bus_arn: &str, detail: &Value) -> Result<(), AwsError> {
    put_event(
        client,
        bus_arn,
        EVENT_SOURCE,
        INTEGRATION_ROLE_READY,
        detail,
    )
    .await
}

/// Sends one event. PutEvents reports per-entry failures in a successful
/// response; those are errors here too.
pub async fn put_event(
    client: &Client,
    bus_arn: &str,
    source: &str,
    detail_type: &str,
    detail: &Value,
) -> Result<(), AwsError> {
    let entry = PutEventsRequestEntry::builder()
        .source(source)
        .detail_type(detail_type)
        .detail(detail.to_string())
        .event_bus_name(bus_arn)
        .build();
    let sent = client
        .put_events()
        .entries(entry)
        .send()
        .await
        .map_err(|e| AwsError::EventBridge {
            bus: bus_arn.to_owned(),
            message: describe(&e).1,
        })?;
    if sent.failed_entry_count() > 0 {
        let reason = sent
            .entries()
            .iter()
            .find_map(|e| {
                e.error_code()
                    .map(|c| format!("{c}: {}", e.error_message().unwrap_or_default()))
            })
            .unwrap_or_else(|| "the event was not accepted".to_owned());
        return Err(AwsError::EventBridge {
            bus: bus_arn.to_owned(),
            message: reason,
        });
    }
    Ok(())
}
