//! Change windows: when changes may be applied.
//!
//! A window has a time zone, `allow` periods (weekly `days`/`start`/`end`, or
//! `cron` with a `duration`) and dated `deny` blackouts that win over every
//! allow. Without allow blocks a window is open at all times outside
//! blackouts.
//!
//! Local times follow the time zone's daylight-saving rules: a start time that
//! does not exist (spring-forward gap) opens at the first instant after the
//! gap, an ambiguous one (autumn fold) at its first occurrence.
//!
//! ```
//! use guardrail_core::window::{AllowSpec, WindowSpec};
//!
//! let spec = WindowSpec {
//!     timezone: "Europe/Berlin".into(),
//!     allow: vec![AllowSpec {
//!         days: Some(vec!["mon-fri".into()]),
//!         start: Some("09:00".into()),
//!         end: Some("17:00".into()),
//!         ..AllowSpec::default()
//!     }],
//!     deny: vec![],
//! };
//! let window = spec.compile().unwrap();
//! let at = "2026-03-27T10:00:00Z".parse().unwrap(); // Friday 11:00 in Berlin
//! let status = window.status_at(at);
//! assert!(status.open);
//! assert_eq!(status.closes_at.unwrap().to_rfc3339(), "2026-03-27T17:00:00+01:00");
//! ```
//!
//! May import: nothing else of the crate but `duration`.

mod allow;
mod clock;
mod cron;
mod cron_schedule;
mod deny;
mod error;
mod evaluate;
mod spec;
mod weekly;
mod zone;

pub(crate) use error::quoted;
pub use error::WindowError;
pub use evaluate::{ChangeWindow, WindowStatus, SEARCH_HORIZON_DAYS};
pub use spec::{AllowSpec, DenySpec, WindowSpec};

use allow::Allow;
use deny::Deny;
use zone::Zone;

impl WindowSpec {
    /// Validates the specification and prepares it for evaluation. The first
    /// invalid field is reported.
    pub fn compile(&self) -> Result<ChangeWindow, WindowError> {
        let zone =
            Zone::parse(&self.timezone).map_err(|message| WindowError::new("timezone", message))?;
        let allows = self
            .allow
            .iter()
            .enumerate()
            .map(|(index, spec)| Allow::compile(index, spec))
            .collect::<Result<Vec<_>, _>>()?;
        let denies = self
            .deny
            .iter()
            .enumerate()
            .map(|(index, spec)| Deny::compile(index, spec, &zone))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ChangeWindow {
            zone,
            allows,
            denies,
        })
    }
}
