//! The milter listener: one task per MTA connection, all sharing the configuration and the action log.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use harrier_respond::ActionLog;
use miltr_server::Server;
use tokio::net::TcpListener;
use tokio_util::compat::TokioAsyncReadCompatExt;

use crate::config::MilterConfig;
use crate::session::{Session, Shared};

/// Largest milter packet accepted, in bytes. Postfix sends body chunks of at most 64 KiB.
const MAX_PACKET: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Log(#[from] harrier_respond::LogError),
    #[error("accepting a milter connection failed: {0}")]
    Accept(std::io::Error),
}

/// Binds `address` and returns the listener with the address it got (port 0 picks a free port).
pub async fn bind(address: &str) -> Result<(TcpListener, SocketAddr), ServerError> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|source| ServerError::Bind {
            address: address.to_owned(),
            source,
        })?;
    let local = listener.local_addr().map_err(|source| ServerError::Bind {
        address: address.to_owned(),
        source,
    })?;
    Ok((listener, local))
}

/// Serves milter connections on `listener` until the process ends.
pub async fn serve(listener: TcpListener, config: MilterConfig) -> Result<(), ServerError> {
    let log = ActionLog::open(&config.data_dir)?;
    let shared = Arc::new(Shared {
        config,
        log: Mutex::new(log),
    });
    loop {
        let (stream, peer) = listener.accept().await.map_err(ServerError::Accept)?;
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let mut session = Session::new(shared);
            let mut server = Server::new(&mut session, false, MAX_PACKET);
            if let Err(error) = server.handle_connection(&mut stream.compat()).await {
                // The MTA applies its milter_default_action to the message of a broken connection.
                tracing::warn!(%peer, error = ?error, "milter connection ended with an error");
            }
        });
    }
}
