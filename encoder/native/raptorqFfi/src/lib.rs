//! One call decodes one segment (a single RFC 6330 source block) from the symbols a receiver
//! collected; an encoder made once per segment hands out repair symbols from any ESI. The C side
//! (../../raptorqCodec.c) has checked every length, count and id before calling, and a panic
//! inside the crate is caught here and reported, never unwound into C.

use raptorq::{EncodingPacket, ObjectTransmissionInformation, PayloadId, SourceBlockDecoder, SourceBlockEncoder};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::slice;

/// Decoded; `out` holds the segment's first `transfer_length` bytes.
const DECODED: i32 = 1;
/// The symbols were not enough (or left the system singular): collect more and call again.
const NEED_MORE: i32 = 0;
/// The crate panicked; `out` is untouched.
const PANICKED: i32 = -1;

/// # Safety
/// `source` holds `source_symbols * symbol_size` bytes, `source_present` `source_symbols`,
/// `repair_ids` `repair_count` ids (each in source_symbols..2^24), `repair` `repair_count *
/// symbol_size` bytes and `out` at least `transfer_length` bytes; `symbol_size` is a multiple of
/// `alignment`, and source_symbols = ceil(transfer_length / symbol_size) <= 56403.
#[no_mangle]
pub unsafe extern "C" fn fountcast_raptorq_decode(
    transfer_length: u64,
    symbol_size: u16,
    sub_blocks: u16,
    alignment: u8,
    source_symbols: u32,
    source: *const u8,
    source_present: *const u8,
    repair_count: u32,
    repair_ids: *const u32,
    repair: *const u8,
    out: *mut u8,
) -> i32 {
    let t = symbol_size as usize;
    let k = source_symbols as usize;
    let r = repair_count as usize;
    let source = slice::from_raw_parts(source, k * t);
    let present = slice::from_raw_parts(source_present, k);
    let ids = slice::from_raw_parts(repair_ids, r);
    let repair = slice::from_raw_parts(repair, r * t);
    let out = slice::from_raw_parts_mut(out, transfer_length as usize);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let config = ObjectTransmissionInformation::new(transfer_length, symbol_size, 1, sub_blocks, alignment);
        let mut decoder = SourceBlockDecoder::new(0, &config, transfer_length);
        let sources = (0..k)
            .filter(|&i| present[i] != 0)
            .map(|i| EncodingPacket::new(PayloadId::new(0, i as u32), source[i * t..(i + 1) * t].to_vec()));
        let repairs = (0..r).map(|j| EncodingPacket::new(PayloadId::new(0, ids[j]), repair[j * t..(j + 1) * t].to_vec()));
        decoder.decode(sources.chain(repairs))
    }));
    match result {
        Ok(Some(block)) => {
            let n = out.len();
            out.copy_from_slice(&block[..n]);
            DECODED
        }
        Ok(None) => NEED_MORE,
        Err(_) => PANICKED,
    }
}

/// A segment's encoder: its intermediate symbols, computed once.
pub struct SegmentEncoder {
    encoder: SourceBlockEncoder,
    symbol_size: usize,
}

/// # Safety
/// `data` holds `transfer_length` bytes; the parameters are as for `fountcast_raptorq_decode`.
/// Returns null if the crate panicked. Free the result with `fountcast_raptorq_encoder_free`.
#[no_mangle]
pub unsafe extern "C" fn fountcast_raptorq_encoder_new(
    transfer_length: u64,
    symbol_size: u16,
    sub_blocks: u16,
    alignment: u8,
    data: *const u8,
) -> *mut SegmentEncoder {
    let data = slice::from_raw_parts(data, transfer_length as usize);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let config = ObjectTransmissionInformation::new(transfer_length, symbol_size, 1, sub_blocks, alignment);
        let t = symbol_size as usize;
        // The crate takes whole symbols: the last one zero-padded, as RFC 6330 pads it.
        let padded_length = data.len().div_ceil(t) * t;
        let encoder = if padded_length == data.len() {
            SourceBlockEncoder::new(0, &config, data)
        } else {
            let mut padded = Vec::with_capacity(padded_length);
            padded.extend_from_slice(data);
            padded.resize(padded_length, 0);
            SourceBlockEncoder::new(0, &config, &padded)
        };
        Box::new(SegmentEncoder { encoder, symbol_size: t })
    }));
    match result {
        Ok(encoder) => Box::into_raw(encoder),
        Err(_) => std::ptr::null_mut(),
    }
}

/// Writes repair symbols `first`, `first + 1`, ... (`count` of them; ESI K + first + i) to `out`,
/// `count * symbol_size` bytes. Returns 1, or -1 if the crate panicked.
///
/// # Safety
/// `encoder` came from `fountcast_raptorq_encoder_new` and was not freed; `out` holds `count *
/// symbol_size` bytes; K + first + count <= 2^24.
#[no_mangle]
pub unsafe extern "C" fn fountcast_raptorq_encoder_repair(encoder: *const SegmentEncoder, first: u32, count: u32, out: *mut u8) -> i32 {
    let encoder = &*encoder;
    let t = encoder.symbol_size;
    let out = slice::from_raw_parts_mut(out, count as usize * t);
    let result = catch_unwind(AssertUnwindSafe(|| {
        for (i, packet) in encoder.encoder.repair_packets(first, count).iter().enumerate() {
            out[i * t..(i + 1) * t].copy_from_slice(packet.data());
        }
    }));
    if result.is_ok() { 1 } else { PANICKED }
}

/// # Safety
/// `encoder` came from `fountcast_raptorq_encoder_new` and is not used again.
#[no_mangle]
pub unsafe extern "C" fn fountcast_raptorq_encoder_free(encoder: *mut SegmentEncoder) {
    if !encoder.is_null() {
        drop(Box::from_raw(encoder));
    }
}
