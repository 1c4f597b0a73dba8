//! `terraform-provider-guardrail`: the Terraform provider `sre-control-plane/guardrail`.

mod clock;
mod configured;
mod data_sources;
mod duration;
mod field_path;
mod lock_audit;
mod lock_view;
mod provider;
mod resources;
mod schema_util;
mod transport;
mod window_block;

use tf_provider::serve;
use transport::Transport;

/// The provider's name: resource types are `guardrail_*`.
const PROVIDER_NAME: &str = "guardrail";

fn main() -> anyhow::Result<()> {
    // Diagnostics must not carry backtraces of the provider (tf-provider captures
    // one per diagnostic when backtraces are enabled).
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    // Several crates enable different rustls crypto back ends; pick one explicitly.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let transport = Transport::prepare()?;
    // Terraform killed must not leave the provider running.
    transport::watch_parent();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let provider = provider::GuardrailProvider::new();
        match transport {
            Transport::Direct => {
                tokio::select! {
                    served = serve(PROVIDER_NAME, provider) => served,
                    () = transport::handle_signals(false) => Ok(()),
                }
            }
            Transport::MutualTls(front) => {
                tokio::select! {
                    served = serve(PROVIDER_NAME, provider) => served,
                    fronted = front.run() => fronted,
                    () = transport::handle_signals(true) => Ok(()),
                }
            }
        }
    })
}
