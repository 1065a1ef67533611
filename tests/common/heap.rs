//! A counting global allocator for heap measurements: the bytes each
//! thread holds (allocated minus freed). The counter is a
//! `const`-initialised thread-local `Cell`, so counting never allocates
//! and tests on other threads do not disturb it. The including crate
//! installs it: `#[global_allocator] static A: heap::Counting = heap::Counting;`
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct Counting;

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
}

fn add(n: i64) {
    // `try_with`: never panic inside the allocator, even during thread
    // teardown.
    let _ = LIVE.try_with(|c| c.set(c.get() + n));
}

// SAFETY: every call is forwarded unchanged to `System`; the counting
// touches only a thread-local integer.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            add(layout.size() as i64);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            add(layout.size() as i64);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            add(new_size as i64 - layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        add(-(layout.size() as i64));
    }
}

/// Heap bytes this thread holds now.
pub fn live() -> i64 {
    LIVE.with(Cell::get)
}

/// The heap bytes `x` holds: what dropping it frees.
pub fn held_by<T>(x: T) -> i64 {
    let before = live();
    drop(x);
    before - live()
}
