//! The plugin transport between Terraform and the provider.
//!
//! Terraform starts the provider with automatic mutual TLS: it passes its client
//! certificate in `PLUGIN_CLIENT_CERT` and expects the provider to answer with its
//! own certificate in the handshake line on stdout. Terraform's client certificate
//! is self-signed and marked as a CA, which current `rustls-webpki` refuses as a
//! client certificate (`CaUsedAsEndEntity`), so the gRPC server of `tf-provider`
//! cannot accept it directly.
//!
//! The provider therefore terminates TLS itself: the gRPC server listens in plain
//! text on a private loopback port, and a TLS front listens on the port announced
//! to Terraform. The front pins Terraform's exact client certificate (stricter than
//! chain validation) and forwards bytes to the gRPC server.
//!
//! The provider also watches its lifeline to Terraform, the parent process: when
//! Terraform is killed nothing stops the provider, whose server would otherwise
//! wait on an empty socket for good. [`watch_parent`] ends the process within a
//! fraction of a second of Terraform's death (Linux `PR_SET_PDEATHSIG`, and a
//! portable `getppid` watch), after letting the lock operations in flight
//! ([`lock_operation`]) finish, so that no lock is left written without its audit
//! record. `SIGTERM` ends the provider the same way. `SIGINT` is Terraform's to
//! handle: Ctrl-C reaches the whole process group, and Terraform then stops its
//! providers once the operations in flight are done (as go-plugin providers do,
//! the provider ignores it).

use std::fs::File;
use std::io::Write;
use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::os::fd::FromRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use base64::Engine;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Environment variable holding Terraform's client certificate (PEM).
const CLIENT_CERT_ENV: &str = "PLUGIN_CLIENT_CERT";

/// How the provider talks to Terraform for this run.
pub enum Transport {
    /// Terraform asked for mutual TLS: serve gRPC privately behind a TLS front.
    MutualTls(TlsFront),
    /// No client certificate (debug runs): let the gRPC server talk to Terraform directly.
    Direct,
}

/// A TLS listener that forwards to the private gRPC port.
pub struct TlsFront {
    listener: StdTcpListener,
    backend: SocketAddr,
    acceptor: tokio_rustls::TlsAcceptor,
    server_cert_der: Vec<u8>,
    handshake_out: File,
}

impl Transport {
    /// Prepares the transport before the gRPC server starts: reads and clears
    /// `PLUGIN_CLIENT_CERT`, reserves the ports and points the gRPC server at its
    /// private port through `PLUGIN_MIN_PORT`/`PLUGIN_MAX_PORT`.
    ///
    /// Must run before any other thread exists (it edits the environment and
    /// redirects stdout).
    pub fn prepare() -> Result<Self> {
        let client_pem = match std::env::var(CLIENT_CERT_ENV) {
            Ok(pem) if !pem.trim().is_empty() => pem,
            _ => return Ok(Transport::Direct),
        };
        let client_cert = CertificateDer::from_pem_slice(client_pem.as_bytes())
            .map_err(|e| anyhow!("{CLIENT_CERT_ENV} holds no PEM certificate: {e}"))?
            .into_owned();

        let listener = bind_in_plugin_range().context("bind the TLS listener")?;
        let backend = free_loopback_port().context("reserve the private gRPC port")?;

        // ring for the handshake: aws-lc initialises its random generator on first
        // use (~30 ms of CPU), and every Terraform command starts the provider and
        // connects afresh. aws-lc still verifies signatures: Terraform's client
        // certificate is ECDSA P-521, which ring cannot verify.
        let crypto = Arc::new(CryptoProvider {
            signature_verification_algorithms: rustls::crypto::aws_lc_rs::default_provider()
                .signature_verification_algorithms,
            ..rustls::crypto::ring::default_provider()
        });
        let (server_cert_der, server_key) = self_signed_server_certificate()?;
        let verifier = Arc::new(PinnedClientCert {
            expected: client_cert,
            provider: crypto.clone(),
        });
        let mut config = rustls::ServerConfig::builder_with_provider(crypto)
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![CertificateDer::from(server_cert_der.clone())],
                server_key,
            )?;
        config.alpn_protocols = vec![b"h2".to_vec()];

        // The gRPC server prints its own handshake line; Terraform must only see ours.
        let handshake_out = redirect_stdout_away()?;

        std::env::remove_var(CLIENT_CERT_ENV);
        std::env::set_var("PLUGIN_MIN_PORT", backend.port().to_string());
        std::env::set_var("PLUGIN_MAX_PORT", backend.port().to_string());

        Ok(Transport::MutualTls(TlsFront {
            listener,
            backend,
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            server_cert_der,
            handshake_out,
        }))
    }
}

impl TlsFront {
    /// Announces the TLS port to Terraform and forwards every accepted connection
    /// to the gRPC server. Runs until the process ends.
    pub async fn run(mut self) -> Result<()> {
        let address = self.listener.local_addr()?;
        // Announce only once the gRPC server listens, so Terraform's first
        // connection is forwarded at once instead of waiting on a retry.
        wait_until_listening(self.backend).await?;
        writeln!(
            self.handshake_out,
            "1|6|tcp|{address}|grpc|{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(&self.server_cert_der)
        )?;
        self.handshake_out.flush()?;
        self.listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(self.listener)?;
        loop {
            let (socket, _) = listener.accept().await?;
            let acceptor = self.acceptor.clone();
            let backend = self.backend;
            tokio::spawn(async move {
                if let Err(error) = forward(acceptor, socket, backend).await {
                    tracing::debug!(%error, "plugin connection ended");
                }
            });
        }
    }
}

async fn forward(
    acceptor: tokio_rustls::TlsAcceptor,
    socket: TcpStream,
    backend: SocketAddr,
) -> Result<()> {
    // gRPC exchanges small frames both ways: without TCP_NODELAY every forwarded
    // frame waits out Nagle's algorithm against the peer's delayed ACK (~40 ms).
    socket.set_nodelay(true)?;
    let tls = acceptor.accept(socket).await?;
    let plain = connect_with_retry(backend).await?;
    plain.set_nodelay(true)?;
    let (mut from_terraform, mut to_terraform) = tokio::io::split(tls);
    let (mut from_backend, mut to_backend) = plain.into_split();
    let upstream = async {
        tokio::io::copy(&mut from_terraform, &mut to_backend).await?;
        to_backend.shutdown().await
    };
    let downstream = async {
        // The gRPC server's socket is not ours to set TCP_NODELAY on, so it holds
        // each frame after the first until it is acknowledged: acknowledge at once.
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            acknowledge_immediately(from_backend.as_ref());
            let read = from_backend.read(&mut buffer).await?;
            if read == 0 {
                return to_terraform.shutdown().await;
            }
            to_terraform.write_all(&buffer[..read]).await?;
            to_terraform.flush().await?;
        }
    };
    tokio::try_join!(upstream, downstream)?;
    Ok(())
}

/// Turns delayed ACKs off for the next segments (Linux resets it as it goes).
fn acknowledge_immediately(stream: &TcpStream) {
    let enable: libc::c_int = 1;
    // SAFETY: setsockopt on a descriptor the stream owns, with a correctly sized
    // option value; a failure only costs latency, so its result is ignored.
    unsafe {
        libc::setsockopt(
            std::os::fd::AsRawFd::as_raw_fd(stream),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            &enable as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

async fn wait_until_listening(backend: SocketAddr) -> Result<()> {
    for _ in 0..5_000 {
        if TcpStream::connect(backend).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    Err(anyhow!(
        "the gRPC server did not listen on {backend} within 5 s"
    ))
}

async fn connect_with_retry(backend: SocketAddr) -> Result<TcpStream> {
    let mut last_error = None;
    for _ in 0..100 {
        match TcpStream::connect(backend).await {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(error),
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Err(anyhow!(
        "the gRPC server did not listen on {backend}: {:?}",
        last_error
    ))
}

/// Binds a loopback listener inside Terraform's `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT`.
fn bind_in_plugin_range() -> Result<StdTcpListener> {
    let port = |name: &str, default: u16| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<u16>().ok())
            .unwrap_or(default)
    };
    let (low, high) = (
        port("PLUGIN_MIN_PORT", 10000),
        port("PLUGIN_MAX_PORT", 25000),
    );
    let (low, high) = (low.min(high), low.max(high));
    for candidate in low..=high {
        if let Ok(listener) = StdTcpListener::bind(("127.0.0.1", candidate)) {
            return Ok(listener);
        }
    }
    Err(anyhow!("no free loopback port in {low}..={high}"))
}

fn free_loopback_port() -> Result<SocketAddr> {
    let listener = StdTcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?)
}

fn self_signed_server_certificate() -> Result<(Vec<u8>, PrivateKeyDer<'static>)> {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::CommonName, "localhost");
    params.distinguished_name = name;
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let cert = params.self_signed(&key)?;
    Ok((
        cert.der().to_vec(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    ))
}

/// Moves the process's stdout to /dev/null and returns a handle on the original.
fn redirect_stdout_away() -> Result<File> {
    // SAFETY: plain descriptor juggling on fds this process owns, before any other
    // thread runs; every return value is checked.
    unsafe {
        let saved = libc::dup(1);
        if saved < 0 {
            return Err(std::io::Error::last_os_error()).context("duplicate stdout");
        }
        let null = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
        if libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 1) < 0 {
            return Err(std::io::Error::last_os_error()).context("redirect stdout");
        }
        Ok(File::from_raw_fd(saved))
    }
}

/// Accepts exactly the client certificate Terraform announced.
#[derive(Debug)]
struct PinnedClientCert {
    expected: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Lock operations in flight: a lock write together with its audit record.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
/// Set once the provider is ending: no new lock operation starts.
static ENDING: AtomicBool = AtomicBool::new(false);
/// How long the end of the provider waits for lock operations in flight.
const IN_FLIGHT_GRACE: Duration = Duration::from_secs(10);
/// How often the parent process is checked.
const PARENT_POLL: Duration = Duration::from_millis(200);

/// Counts one lock operation in flight while it lives.
struct InFlight;

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs `work`, a lock operation (a store write and its audit record), on a task
/// of its own: when Terraform goes away mid-request and the request's future is
/// dropped, the operation still runs to its end, and the provider does not end
/// before it is done (for at most [`IN_FLIGHT_GRACE`]). `None`, with nothing
/// started, when the provider is already ending because Terraform is gone
/// (nobody would record the result).
pub async fn lock_operation<T, F>(work: F) -> Option<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
{
    IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
    let in_flight = InFlight;
    if ENDING.load(Ordering::SeqCst) {
        return None;
    }
    let task = tokio::spawn(async move {
        let _in_flight = in_flight;
        work.await
    });
    match task.await {
        Ok(done) => Some(done),
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

/// Ends the process: refuses new lock operations, waits for those in flight
/// (at most [`IN_FLIGHT_GRACE`]) and exits.
fn end(why: &str) -> ! {
    ENDING.store(true, Ordering::SeqCst);
    tracing::warn!(why, "the provider is ending");
    let deadline = Instant::now() + IN_FLIGHT_GRACE;
    while IN_FLIGHT.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    if IN_FLIGHT.load(Ordering::SeqCst) > 0 {
        tracing::error!(
            grace_seconds = IN_FLIGHT_GRACE.as_secs(),
            "a lock operation was still in flight; ending anyway"
        );
    }
    std::process::exit(0)
}

fn parent_pid() -> libc::pid_t {
    // SAFETY: getppid has no preconditions and cannot fail.
    unsafe { libc::getppid() }
}

/// Ends the provider when Terraform, its parent process, is gone. Call once,
/// early: on Linux the kernel sends `SIGTERM` when the parent dies
/// (`PR_SET_PDEATHSIG`), and everywhere a thread notices the provider being
/// handed to another parent.
pub fn watch_parent() {
    let parent = parent_pid();
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_PDEATHSIG takes a signal number and no pointers; a failure
    // only leaves the getppid watch below, so its result is not needed.
    unsafe {
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGTERM as libc::c_ulong,
            0,
            0,
            0,
        );
    }
    let spawned = std::thread::Builder::new()
        .name("parent-watch".into())
        .spawn(move || loop {
            // Also catches a parent that died before PR_SET_PDEATHSIG was set.
            if parent_pid() != parent {
                end("Terraform, the parent process, is gone");
            }
            std::thread::sleep(PARENT_POLL);
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot watch the parent process");
    }
}

/// Handles the termination signals for as long as the provider serves: `SIGTERM`
/// ends it (after lock operations in flight); `SIGINT` is ignored when
/// `terraform_handles_interrupts` (the provider runs under Terraform), else it
/// ends the provider too. Never returns.
pub async fn handle_signals(terraform_handles_interrupts: bool) {
    use tokio::signal::unix::{signal, SignalKind};
    let (mut terminate, mut interrupt) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(terminate), Ok(interrupt)) => (terminate, interrupt),
        (Err(error), _) | (_, Err(error)) => {
            tracing::warn!(%error, "cannot handle termination signals");
            return std::future::pending().await;
        }
    };
    loop {
        tokio::select! {
            _ = terminate.recv() => {
                // Waiting for lock operations must not block the runtime they run on.
                std::thread::spawn(|| end("SIGTERM"));
            }
            _ = interrupt.recv() => {
                if terraform_handles_interrupts {
                    tracing::debug!("SIGINT ignored: Terraform stops the provider when it is done");
                } else {
                    std::thread::spawn(|| end("SIGINT"));
                }
            }
        }
    }
}
