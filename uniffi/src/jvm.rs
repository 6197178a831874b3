//! JNI functions for the Kotlin zero-copy camera path (`DirectFrames.kt`).
//!
//! The JVM knows where a direct `ByteBuffer`'s memory is and how long it is; JNI's
//! `GetDirectBufferAddress` and `GetDirectBufferCapacity` are the way to ask it. The
//! Kotlin helper asks here, then hands the addresses and capacities to
//! `Classifier.classifyRawFrame` (uniffi), so the length of every plane is the buffer's
//! capacity, never a number the application supplied.
//!
//! Compiled for every target a JVM can load the library on: Android, and the desktop JVM
//! that runs the Kotlin tests, which therefore exercise this exact code. Not in iOS builds.
//! No `unsafe` here: the `jni` crate wraps each call.

use std::panic::{catch_unwind, AssertUnwindSafe};

use jni::objects::{JByteBuffer, JClass, JObjectArray};
use jni::sys::{jlong, jlongArray};
use jni::JNIEnv;

/// `DirectBuffers.addresses(buffers: Array<ByteBuffer>): LongArray`.
///
/// For buffer `i`, element `2i` is its address and `2i + 1` its capacity in bytes. A
/// buffer whose memory JNI cannot give (a heap buffer, or a JVM without direct buffer
/// access) gets address 0 and capacity -1; the Kotlin side turns that into a typed error
/// naming the plane. On a JNI failure, a Java exception is pending and null is returned.
#[no_mangle]
#[allow(unreachable_pub)] // exported to the JVM by name, not to Rust
pub extern "system" fn Java_org_lesionscan_DirectBuffers_addresses<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    buffers: JObjectArray<'local>,
) -> jlongArray {
    let outcome = catch_unwind(AssertUnwindSafe(|| addresses(&mut env, &buffers)));
    match outcome {
        Ok(Ok(array)) => array,
        Ok(Err(error)) => {
            throw_unless_pending(&mut env, &format!("reading direct buffers failed: {error}"));
            std::ptr::null_mut()
        }
        Err(_) => {
            throw_unless_pending(&mut env, "reading direct buffers panicked");
            std::ptr::null_mut()
        }
    }
}

/// `DirectBuffers.keepReachable(buffers: Array<ByteBuffer>)`: does nothing.
///
/// The Kotlin helper calls it after the classification with the same buffers. A call
/// into native code cannot be optimised away, so the buffers (and for
/// `ByteBuffer.allocateDirect`, the memory they own) stay reachable until the Rust code
/// that reads them has returned. (`Reference.reachabilityFence` does the same from
/// Android API 28 and Java 9; this works on every API level.)
#[no_mangle]
#[allow(unreachable_pub)] // exported to the JVM by name, not to Rust
pub extern "system" fn Java_org_lesionscan_DirectBuffers_keepReachable<'local>(
    _env: JNIEnv<'local>,
    _class: JClass<'local>,
    _buffers: JObjectArray<'local>,
) {
}

fn addresses(env: &mut JNIEnv<'_>, buffers: &JObjectArray<'_>) -> jni::errors::Result<jlongArray> {
    let count = env.get_array_length(buffers)?;
    let mut values: Vec<jlong> = Vec::with_capacity(2 * count.max(0) as usize);
    for index in 0..count {
        let element = env.get_object_array_element(buffers, index)?;
        let buffer = JByteBuffer::from(element);
        let located = if buffer.is_null() {
            None
        } else {
            // Both calls fail for a buffer that is not direct.
            match (
                env.get_direct_buffer_address(&buffer),
                env.get_direct_buffer_capacity(&buffer),
            ) {
                (Ok(address), Ok(capacity)) => Some((address as usize, capacity)),
                _ => None,
            }
        };
        let (address, capacity) = match located {
            // The address as its bit pattern: Android tags pointers in their top byte,
            // and Kotlin's `toULong()` restores exactly these bits.
            Some((address, capacity)) => (
                address as u64 as jlong,
                jlong::try_from(capacity).unwrap_or(-1),
            ),
            None => (0, -1),
        };
        values.extend([address, capacity]);
        env.delete_local_ref(buffer)?;
    }
    let length = i32::try_from(values.len()).unwrap_or(i32::MAX);
    let array = env.new_long_array(length)?;
    env.set_long_array_region(&array, 0, &values)?;
    Ok(array.into_raw())
}

fn throw_unless_pending(env: &mut JNIEnv<'_>, message: &str) {
    if !env.exception_check().unwrap_or(true) {
        let _ = env.throw_new("java/lang/IllegalStateException", message);
    }
}
