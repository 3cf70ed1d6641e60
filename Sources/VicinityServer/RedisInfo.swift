import VicinityProtocol
import Foundation

/// INFO as Redis writes it (for RESP requests): `# Section` headers and `key:value`
/// lines, CRLF-separated, so Redis clients' INFO parsers read it unchanged.
enum RedisInfo {
    static let defaultSections = [
        "server", "clients", "memory", "persistence", "stats", "replication", "cpu", "keyspace",
        "vicinity",
    ]
    static let allSections = defaultSections + ["commandstats"]

    static func text(_ ctx: CommandContext, sections requested: [String]) -> String {
        var wanted = requested.map { $0.lowercased() }
        if wanted.isEmpty || wanted.contains("default") { wanted += defaultSections }
        if wanted.contains("all") || wanted.contains("everything") { wanted += allSections }
        var out: [String] = []
        for name in allSections where wanted.contains(name) {
            let lines = section(name, ctx)
            out.append(
                "# \(name == "commandstats" ? "Commandstats" : name.capitalized)\r\n"
                    + lines.map { "\($0.0):\($0.1)\r\n" }.joined())
        }
        return out.joined(separator: "\r\n")
    }

    private static func section(_ name: String, _ ctx: CommandContext) -> [(String, String)] {
        let uptime = Int(Date().timeIntervalSince(ctx.stats.started))
        let totals = ctx.stats.totals
        switch name {
        case "server":
            return [
                ("redis_version", CommandTable.redisVersion), ("server_name", "vicinity"), ("redis_mode", "standalone"),
                ("os", "Linux"), ("arch_bits", "64"), ("process_id", "\(getpid())"),
                ("tcp_port", ctx.policy.settings["port"] ?? "0"), ("uptime_in_seconds", "\(uptime)"),
                ("uptime_in_days", "\(uptime / 86400)"),
            ]
        case "clients":
            return [
                ("connected_clients", "\(totals.connections)"),
                ("maxclients", ctx.policy.settings["maxclients"] ?? "0"),
                ("blocked_clients", "0"),
            ]
        case "memory":
            let rss = residentBytes()
            return [
                ("used_memory", "\(rss)"), ("used_memory_human", String(format: "%.2fM", Double(rss) / 1_048_576)),
                ("used_memory_rss", "\(rss)"), ("maxmemory", "0"), ("maxmemory_policy", "noeviction"),
            ]
        case "persistence":
            return [("loading", "0"), ("rdb_changes_since_last_save", "0"), ("aof_enabled", "0")]
        case "stats":
            return [
                ("total_connections_received", "\(totals.total)"), ("total_commands_processed", "\(totals.requests)"),
                ("rejected_connections", "\(totals.refused)"), ("total_error_replies", "\(totals.errors)"),
            ]
        case "replication":
            return [("role", "master"), ("connected_slaves", "0")]
        case "cpu":
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            func seconds(_ t: timeval) -> String { String(format: "%.6f", Double(t.tv_sec) + Double(t.tv_usec) / 1e6) }
            return [("used_cpu_sys", seconds(usage.ru_stime)), ("used_cpu_user", seconds(usage.ru_utime))]
        case "commandstats":
            return ctx.stats.commandCounts.map { name, c in
                let usec = c.nanoseconds / 1000
                let per = c.calls == 0 ? 0 : Double(c.nanoseconds) / 1000 / Double(c.calls)
                return (
                    "cmdstat_\(name)",
                    "calls=\(c.calls),usec=\(usec),usec_per_call=\(String(format: "%.2f", per)),rejected_calls=0,failed_calls=\(c.failed)"
                )
            }
        case "keyspace":
            return [("db0", "keys=\(1 + ctx.sets.names.count),expires=0,avg_ttl=0")]
        default:  // vicinity: the plain INFO's fields
            return ctx.engine.info().map { ($0.0, $0.1) }
        }
    }

    /// Resident set size from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}
