//! The byte stream under an IMAP session: plain or TLS, with a response budget.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// Plain TCP (loopback only, or before STARTTLS) or TLS over TCP.
enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// The stream handed to async-imap.
///
/// It counts the bytes read since we last wrote: one command's response. A
/// server that sends more than the budget gets an I/O error instead of
/// growing our buffers without end (async-imap alone accepts literals up to
/// 512 MiB).
pub struct ImapStream {
    transport: Transport,
    read_since_write: u64,
    budget: u64,
}

impl fmt::Debug for ImapStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.transport {
            Transport::Plain(_) => "plain",
            Transport::Tls(_) => "tls",
        };
        f.debug_struct("ImapStream")
            .field("transport", &kind)
            .field("budget", &self.budget)
            .finish()
    }
}

/// The marker inside the I/O error raised when the budget is exceeded.
#[derive(Debug, thiserror::Error)]
#[error("response budget of {0} bytes exceeded")]
pub(crate) struct BudgetExceeded(pub u64);

impl ImapStream {
    pub(crate) fn plain(tcp: TcpStream, budget: u64) -> Self {
        Self {
            transport: Transport::Plain(tcp),
            read_since_write: 0,
            budget,
        }
    }

    pub(crate) fn tls(tls: TlsStream<TcpStream>, budget: u64) -> Self {
        Self {
            transport: Transport::Tls(Box::new(tls)),
            read_since_write: 0,
            budget,
        }
    }

    /// Whether the transport is encrypted.
    pub fn is_tls(&self) -> bool {
        matches!(self.transport, Transport::Tls(_))
    }

    /// The server's leaf certificate (DER), if the transport is TLS.
    pub fn peer_certificate_der(&self) -> Option<Vec<u8>> {
        match &self.transport {
            Transport::Tls(tls) => tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .map(|c| c.as_ref().to_vec()),
            Transport::Plain(_) => None,
        }
    }

    /// Gives back the TCP stream of a plain transport (for STARTTLS).
    pub(crate) fn into_plain(self) -> Option<TcpStream> {
        match self.transport {
            Transport::Plain(tcp) => Some(tcp),
            Transport::Tls(_) => None,
        }
    }
}

impl AsyncRead for ImapStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.read_since_write > this.budget {
            return Poll::Ready(Err(io::Error::other(BudgetExceeded(this.budget))));
        }
        let before = buf.filled().len();
        let poll = match &mut this.transport {
            Transport::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        };
        let read = buf.filled().len().saturating_sub(before);
        this.read_since_write = this.read_since_write.saturating_add(read as u64);
        poll
    }
}

impl AsyncWrite for ImapStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.read_since_write = 0;
        match &mut this.transport {
            Transport::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().transport {
            Transport::Plain(s) => Pin::new(s).poll_flush(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().transport {
            Transport::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
