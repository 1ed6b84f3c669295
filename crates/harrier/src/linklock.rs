//! `harrier linklock serve`: the link-lock warning page over HTTP.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use harrier_respond::linklock::LinkKeys;
use harrier_respond::linkserver::{LinkServer, serve};

use crate::cli::LinklockServeArgs;

pub fn run_serve(args: &LinklockServeArgs) -> anyhow::Result<ExitCode> {
    warn_if_readable_by_others(&args.key_file);
    let keys = LinkKeys::load(&args.key_file)?;
    let server = LinkServer::open(keys, &args.data.data_dir)
        .with_context(|| format!("cannot open the link-lock state in {}", args.data.data_dir.display()))?
        .with_trusted_proxies(args.trusted_proxies.iter().copied().collect());

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener.local_addr().context("cannot read the listening address")?;
        tracing::info!(%address, data_dir = %args.data.data_dir.display(), "link-lock endpoint started");
        // The bound address goes to stdout too, so a script that passed port 0 can find the port.
        println!("Serving locked links on http://{address}/l/");
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        serve(listener, Arc::new(server), shutdown).await.context("the link-lock server failed")?;
        tracing::info!("link-lock endpoint stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Warns when the key file can be read by the group or others, since anyone holding it can sign links.
fn warn_if_readable_by_others(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = std::fs::metadata(path)
        && metadata.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "the link-lock key file is readable by other users; chmod 600 it");
    }
}
