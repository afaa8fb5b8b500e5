// Preloaded into the presence server (node --require) by BENCH_SERVER_RCVBUF=<bytes>: every UDP socket it
// creates asks for that receive buffer (SO_RCVBUF, capped by net.core.rmem_max). sip-core's UDP transport
// leaves the kernel default (net.core.rmem_default), which the drops measured by the bench point at; this
// shows what a larger buffer would change without touching the server's code.
const dgram = require('node:dgram');

const size = Number(process.env.BENCH_SERVER_RCVBUF);
const createSocket = dgram.createSocket;
dgram.createSocket = function (type, listener) {
  const options = typeof type === 'string' ? { type } : { ...type };
  options.recvBufferSize = size;
  return createSocket.call(this, options, listener);
};
