//! S3 requests that never reached the server, said for people: the SDK's
//! `dispatch failure` chains (with its debug structures) become one line
//! naming the endpoint and what to check.

use guardrail_core::store::connect::resolve_endpoint;

use crate::state::source::Collected;
use crate::state::StateError;

/// One line for an SDK error text that says the request never reached the
/// server (`cannot reach URL: connection refused; check --endpoint /
/// AWS_ENDPOINT_URL_S3`); `None` for any other error.
pub fn unreachable_line(message: &str, endpoint: Option<&str>) -> Option<String> {
    let lowered = message.to_ascii_lowercase();
    if !lowered.contains("dispatch failure") && !lowered.contains("connection refused") {
        return None;
    }
    let cause = if lowered.contains("connection refused") {
        "connection refused"
    } else if lowered.contains("timed out") || lowered.contains("timeout") {
        "the connection timed out"
    } else if lowered.contains("dns error") || lowered.contains("failed to lookup address") {
        "the host name does not resolve"
    } else {
        "the connection failed"
    };
    let endpoint = resolve_endpoint(endpoint.filter(|e| !e.is_empty()))
        .unwrap_or_else(|| "the default S3 endpoint".to_owned());
    Some(format!(
        "cannot reach {endpoint}: {cause}; check --endpoint / AWS_ENDPOINT_URL_S3"
    ))
}

/// [`unreachable_line`] over the messages of a state run's error.
pub fn state_error(error: StateError, endpoint: Option<&str>) -> StateError {
    let said = |message: String| unreachable_line(&message, endpoint).unwrap_or(message);
    match error {
        StateError::List { location, message } => StateError::List {
            location,
            message: said(message),
        },
        StateError::Journal { location, message } => StateError::Journal {
            location,
            message: said(message),
        },
        StateError::GuardrailStore { location, message } => StateError::GuardrailStore {
            location,
            message: said(message),
        },
        other => other,
    }
}

/// [`unreachable_line`] over the reasons of the states that could not be read.
pub fn unreadable_reasons(collected: &mut Collected, endpoint: Option<&str>) {
    for unreadable in &mut collected.unreadable {
        if let Some(line) = unreachable_line(&unreadable.reason, endpoint) {
            unreadable.reason = line;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_connections_read_as_one_line() {
        let sdk = "dispatch failure: io error: client error (Connect): tcp connect error: \
                   Connection refused (os error 111) (DispatchFailure(DispatchFailure { source: \
                   ConnectorError { kind: Io } }))";
        assert_eq!(
            unreachable_line(sdk, Some("http://127.0.0.1:9")).as_deref(),
            Some(
                "cannot reach http://127.0.0.1:9: connection refused; \
                 check --endpoint / AWS_ENDPOINT_URL_S3"
            )
        );
        assert_eq!(
            unreachable_line("AccessDenied: Access Denied", Some("http://x")),
            None
        );
    }
}
