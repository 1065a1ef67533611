//! tcp_reassembler: the input's first octets give a prefix mode and chunk
//! sizes (see `rike_fuzz::TcpCase`), the rest is an RFC 8229 stream. It is
//! pushed into `rike::wire::transport::TcpReassembler` in those chunks,
//! polling after each push; the items (and any framing error) must equal
//! those of pushing the whole stream at once (chunking independence),
//! `pending()` must stay bounded (never above the bytes pushed, below one
//! frame after draining), and the items must tile a prefix of the stream.
//! See `rike_fuzz::check_tcp_reassembler`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rike_fuzz::fuzz_tcp_reassembler(data));
