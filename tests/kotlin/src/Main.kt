// The JVM test runner for the Kotlin bindings: runs every test, prints one line per
// test and a closing `N passed, N failed`, and exits non-zero when any failed.
//
// Run through tests/kotlin/run (it builds the library, compiles these files with the
// generated bindings and passes the paths below as system properties).
package org.lesionscan.tests

import kotlin.system.exitProcess

/** A named test. */
class Test(val name: String, val body: () -> Unit)

/** Declares a test. */
fun test(name: String, body: () -> Unit) = Test(name, body)

fun main(args: Array<String>) {
    val all = surfaceTests + classifierTests + apiTests + frameTests + loggingTests + liveTests
    val duplicates = all.groupBy { it.name }.filterValues { it.size > 1 }.keys
    check(duplicates.isEmpty()) { "tests with the same name: $duplicates" }
    // Arguments select tests whose name contains one of them.
    val selected = if (args.isEmpty()) all else all.filter { t -> args.any { t.name.contains(it) } }
    var passed = 0
    var failed = 0
    for (t in selected) {
        val started = System.nanoTime()
        try {
            t.body()
            passed++
            println("ok     ${t.name} (${(System.nanoTime() - started) / 1_000_000} ms)")
        } catch (e: Throwable) {
            failed++
            println("FAILED ${t.name}: $e")
            e.printStackTrace(System.out)
        }
    }
    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0 && passed > 0) 0 else 1)
}
