import Testing
@testable import Server

/// Timeouts keep milliseconds in 32 bits: what the configuration can say comes back as it was set.
struct TimeoutsTests {
    @Test(arguments: [Duration.zero, .milliseconds(1), .milliseconds(1500), .seconds(75), .seconds(86_400),
                      .seconds(40 * 86_400)])
    func aDurationInWholeMillisecondsIsKeptExactly(duration: Duration) {
        var timeouts = Timeouts()
        timeouts.keepalive = duration
        timeouts.clientHeader = duration
        timeouts.clientBody = duration
        timeouts.send = duration
        #expect([timeouts.keepalive, timeouts.clientHeader, timeouts.clientBody, timeouts.send]
            == Array(repeating: duration, count: 4))
    }

    @Test func theDefaultsAreNginxs() {
        let timeouts = Timeouts()
        #expect(timeouts.keepalive == .seconds(75))
        #expect([timeouts.clientHeader, timeouts.clientBody, timeouts.send] == Array(repeating: .seconds(60), count: 3))
    }

    @Test func aFractionOfAMillisecondIsRoundedUpSoOnlyZeroMeansZero() {
        var timeouts = Timeouts()
        timeouts.send = .microseconds(1)
        #expect(timeouts.send == .milliseconds(1))
        timeouts.send = .microseconds(1500)
        #expect(timeouts.send == .milliseconds(2))
    }

    @Test func aValuePastFortyNineDaysIsHeldAsTheLongest() {
        var timeouts = Timeouts()
        timeouts.keepalive = .seconds(1000 * 86_400)
        #expect(timeouts.keepalive == .milliseconds(Int64(UInt32.max)))
        timeouts.keepalive = .seconds(Int64.max)
        #expect(timeouts.keepalive == .milliseconds(Int64(UInt32.max)))
    }
}
