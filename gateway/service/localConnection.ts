/**
 * A JSON-RPC connection between two parts of the gateway process, for a client that runs inside
 * it (the headless service's own poller). Messages pass as objects, in a later turn of the event
 * loop as they would over a pipe; nothing is serialised.
 */
import {
  AbstractMessageReader,
  AbstractMessageWriter,
  createMessageConnection,
  Disposable,
  type DataCallback,
  type Message,
  type MessageConnection,
  type MessageReader,
  type MessageWriter,
} from 'vscode-jsonrpc';

class LocalReader extends AbstractMessageReader implements MessageReader {
  private callback: DataCallback | null = null;
  private readonly waiting: Message[] = [];

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    for (const m of this.waiting.splice(0)) callback(m);
    return Disposable.create(() => {
      this.callback = null;
    });
  }

  deliver(message: Message): void {
    if (this.callback) this.callback(message);
    else this.waiting.push(message);
  }
}

class LocalWriter extends AbstractMessageWriter implements MessageWriter {
  constructor(private readonly peer: LocalReader) {
    super();
  }

  write(message: Message): Promise<void> {
    setImmediate(() => this.peer.deliver(message));
    return Promise.resolve();
  }

  end(): void {}
}

/** Two ends of one connection: `server` for a GatewaySession, `client` for the part that uses it. */
export function localConnectionPair(): { server: MessageConnection; client: MessageConnection } {
  const toServer = new LocalReader();
  const toClient = new LocalReader();
  return {
    server: createMessageConnection(toServer, new LocalWriter(toClient)),
    client: createMessageConnection(toClient, new LocalWriter(toServer)),
  };
}
