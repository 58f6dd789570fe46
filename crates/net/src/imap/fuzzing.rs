//! Entry points for the fuzz targets (`fuzz/`), built only with the
//! `fuzzing` feature: Coffer's own handling of what a server sends, fed
//! bytes the way the session would feed them. Each function panics only
//! when a property the session relies on breaks.

#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use imap_proto::{MailboxDatum, Response, ResponseCode};

use super::append::expand;
use super::fetch_items::FetchItems;
use super::uid_set::uid_set;
use crate::mutf7;

/// Parses `bytes` as a stream of server responses (as imap-proto does for
/// the session) and hands each to Coffer's handlers: FETCH items, LIST
/// names, APPENDUID sets. A parser panic ends the stream, as it ends the
/// session (`timed` turns it into an error); a panic in Coffer's own
/// handling is not caught.
pub fn responses(mut bytes: &[u8]) {
    loop {
        let parsed = std::panic::catch_unwind(|| Response::parse(bytes));
        let Ok(Ok((rest, response))) = parsed else {
            break;
        };
        handle(&response);
        if rest.len() >= bytes.len() {
            break;
        }
        bytes = rest;
    }
}

fn handle(response: &Response<'_>) {
    if let Some(Ok(items)) = FetchItems::read(response, true) {
        let mut merged = FetchItems::default();
        merged.merge(items);
        if let Some(uid) = merged.uid {
            let _ = FetchItems::required(merged.size, "RFC822.SIZE", uid);
        }
    }
    let code = match response {
        Response::Done { outcome, .. } | Response::Data { outcome, .. } => outcome.code.as_ref(),
        Response::MailboxData(MailboxDatum::List(list)) => {
            let _ = mutf7::decode(&list.name);
            None
        }
        _ => None,
    };
    if let Some(ResponseCode::AppendUid(_, members)) = code {
        for count in [0, 1, members.len(), 1000] {
            if let Some(uids) = expand(members, count) {
                assert_eq!(uids.len(), count, "APPENDUID expanded to the wrong count");
                assert!(uids.windows(2).all(|w| w[0] < w[1]), "not ascending");
                assert!(!uids.contains(&0), "UID 0 accepted");
            }
        }
    }
}

/// Modified UTF-7: any wire text decodes or is refused; any name encodes
/// and decodes back to itself.
pub fn mutf7_round_trip(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Ok(name) = mutf7::decode(text) {
            let again = mutf7::decode(&mutf7::encode(&name));
            assert_eq!(
                again.as_deref().ok(),
                Some(name.as_str()),
                "decode(encode) of {name:?}"
            );
        }
        let wire = mutf7::encode(text);
        assert!(wire.is_ascii(), "encoded name is not ASCII: {wire:?}");
        assert_eq!(
            mutf7::decode(&wire).ok().as_deref(),
            Some(text),
            "round trip of {text:?}"
        );
    }
}

/// The uid-set Coffer sends names exactly the UIDs asked for; `data` is
/// the UIDs as little-endian u32s.
pub fn uid_set_round_trip(data: &[u8]) {
    let uids: Vec<u32> = data
        .chunks_exact(4)
        .filter_map(|c| Some(u32::from_le_bytes(c.try_into().ok()?)))
        .collect();
    let Ok(set) = uid_set(&uids) else {
        return;
    };
    let mut named = Vec::new();
    for part in set.split(',') {
        let (a, b) = part.split_once(':').unwrap_or((part, part));
        let (a, b): (u32, u32) = (
            a.parse().expect("a number in the set"),
            b.parse().expect("a number in the set"),
        );
        assert!(a <= b && a > 0, "range {part} in {set}");
        named.extend(a..=b);
    }
    let mut want = uids;
    want.sort_unstable();
    want.dedup();
    assert_eq!(named, want, "the set {set}");
}
