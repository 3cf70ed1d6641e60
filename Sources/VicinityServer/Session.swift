import VicinityProtocol
/// Per-connection state the commands can read and change.
public struct Session: Sendable {
    public var authenticated: Bool
    /// Set by QUIT: close after the reply.
    public var closeAfterReply = false
    /// 2 or 3: the RESP version HELLO chose (plain requests always get plain replies).
    public var protocolVersion = 2
    /// Unique for the server's lifetime, as Redis's client ids.
    public var clientID = 0
    /// Set by CLIENT SETNAME and HELLO … SETNAME.
    public var name = ""
    /// Set by CLIENT SETINFO LIB-NAME / LIB-VER.
    public var libraryName = ""
    public var libraryVersion = ""
    /// Requests queued since MULTI; nil outside a transaction.
    public var queued: [Request]? = nil
    /// A request queued in this transaction was refused: EXEC answers EXECABORT.
    public var transactionFailed = false
    /// `ip:port` of the client and of the server side of the connection (CLIENT INFO / LIST).
    public var peer = ""
    public var local = ""

    public init(authenticated: Bool, clientID: Int = 0) {
        self.authenticated = authenticated
        self.clientID = clientID
    }

    /// What RESET leaves: a new session on the same socket (same id and addresses).
    func reset(authenticated: Bool) -> Session {
        var fresh = Session(authenticated: authenticated, clientID: clientID)
        fresh.peer = peer
        fresh.local = local
        return fresh
    }
}

/// Server-wide settings the commands obey.
public struct CommandPolicy: Sendable {
    public var authToken: String?
    public var readOnly = false
    /// Largest k for KNN and HAMMING.
    public var maxK = 1000
    /// Largest radius for RADIUS.
    public var maxRadius = 64
    /// Most hits one RADIUS reply may carry.
    public var maxRadiusHits = 100_000
    /// Requests slower than this enter the slow log (Redis's `slowlog-log-slower-than`; negative: never).
    public var slowlogMicroseconds = 10_000
    /// Entries the slow log keeps (Redis's `slowlog-max-len`).
    public var slowlogLength = 128
    /// CONFIG GET's view of the server's own settings (port, bind, maxclients, timeout).
    public var settings: [String: String] = [:]
    public init(authToken: String? = nil) { self.authToken = authToken }
}
