//! Reading the items of untagged FETCH responses: UID, FLAGS, INTERNALDATE, RFC822.SIZE, BODY[].

use std::collections::BTreeMap;

use imap_proto::{AttributeValue, Response};

use super::{ImapSession, date, timed};
use crate::NetError;

/// An untagged-response handler that passes the FETCH items about message
/// `uid` to `take`. FETCH responses about other messages (flag changes
/// pushed by the server) are left alone.
pub(super) fn about_uid(
    uid: u32,
    want_body: bool,
    mut take: impl FnMut(FetchItems),
) -> impl FnMut(&Response<'_>) -> Result<(), NetError> {
    move |response| {
        if let Some(items) = FetchItems::read(response, want_body).transpose()?
            && items.uid == Some(uid)
        {
            take(items);
        }
        Ok(())
    }
}

/// The items of one FETCH response that we ask for; absent ones are `None`.
#[derive(Debug, Default)]
pub(super) struct FetchItems {
    pub(super) uid: Option<u32>,
    pub(super) flags: Option<Vec<String>>,
    pub(super) internaldate: Option<i64>,
    pub(super) size: Option<u32>,
    /// A whole `BODY[]` reply.
    pub(super) body: Option<Vec<u8>>,
    /// The `<origin>` of the last body reply when it was partial
    /// (`BODY[]<0>`, the answer to a head fetch): never acceptable as a
    /// whole message.
    pub(super) body_origin: Option<u32>,
    /// Every partial body reply (`BODY[]<origin>`) as (origin, bytes), in
    /// the order received: a head, or the answers to a FETCH of several
    /// byte ranges.
    pub(super) pieces: Vec<(u32, Vec<u8>)>,
}

impl FetchItems {
    /// The items of `response` if it is a FETCH response, else `None`.
    /// The body is copied only when `want_body` is set.
    pub(super) fn read(
        response: &Response<'_>,
        want_body: bool,
    ) -> Option<Result<FetchItems, NetError>> {
        let Response::Fetch(_seq, attributes) = response else {
            return None;
        };
        let mut items = FetchItems::default();
        for attribute in attributes {
            match attribute {
                AttributeValue::Uid(uid) => items.uid = Some(*uid),
                AttributeValue::Flags(flags) => {
                    items.flags = Some(flags.iter().map(|f| f.to_string()).collect());
                }
                AttributeValue::InternalDate(text) => match date::parse_internaldate(text) {
                    Ok(unix) => items.internaldate = Some(unix),
                    Err(e) => return Some(Err(e)),
                },
                AttributeValue::Rfc822Size(size) => items.size = Some(*size),
                // BODY[] as a whole, or a part of it (BODY[]<origin>, a
                // partial fetch), its origin noted so a whole fetch can
                // refuse it; NIL leaves the body absent.
                AttributeValue::BodySection {
                    section: None,
                    index,
                    data: Some(data),
                } if want_body => {
                    match index {
                        Some(origin) => items.pieces.push((*origin, data.to_vec())),
                        None => items.body = Some(data.to_vec()),
                    }
                    items.body_origin = *index;
                }
                _ => {}
            }
        }
        Some(Ok(items))
    }

    /// Takes in a later response about the same message; its items win.
    pub(super) fn merge(&mut self, later: FetchItems) {
        self.uid = later.uid.or(self.uid);
        self.flags = later.flags.or(self.flags.take());
        self.internaldate = later.internaldate.or(self.internaldate);
        self.size = later.size.or(self.size);
        // The last body reply, whole or partial, decides the origin.
        if later.body.is_some() || !later.pieces.is_empty() {
            self.body = later.body.or(self.body.take());
            self.body_origin = later.body_origin;
        }
        self.pieces.extend(later.pieces);
    }

    /// Takes the partial reply that starts at `origin`, if any.
    pub(super) fn take_piece(&mut self, origin: u32) -> Option<Vec<u8>> {
        let at = self.pieces.iter().position(|(o, _)| *o == origin)?;
        Some(self.pieces.swap_remove(at).1)
    }

    /// A required item, or a protocol error naming it.
    pub(super) fn required<T>(item: Option<T>, what: &str, uid: u32) -> Result<T, NetError> {
        item.ok_or_else(|| {
            NetError::Protocol(format!("no {what} in the FETCH response for UID {uid}"))
        })
    }
}

impl ImapSession {
    /// Runs the UID FETCH `line` and gathers the items of each message by
    /// UID, for the UIDs `keep` accepts. FETCH responses without a UID are
    /// changes pushed by the server, named by sequence number only: not ours.
    pub(super) async fn uid_fetch_items(
        &mut self,
        line: &str,
        action: &'static str,
        want_body: bool,
        keep: impl Fn(u32) -> bool,
    ) -> Result<BTreeMap<u32, FetchItems>, NetError> {
        let mut by_uid: BTreeMap<u32, FetchItems> = BTreeMap::new();
        timed(self.limits, action, async {
            self.command("UID FETCH", line, |response| {
                if let Some(items) = FetchItems::read(response, want_body).transpose()?
                    && let Some(uid) = items.uid
                    && keep(uid)
                {
                    by_uid.entry(uid).or_default().merge(items);
                }
                Ok(())
            })
            .await
        })
        .await?;
        Ok(by_uid)
    }
}
