/** The SIP presence user agent of the UE (see ./ua). */
export { createUa, Ua, type UaOptions } from './ua';
export {
  Publication,
  DEFAULT_PUBLISH_EXPIRES,
  type PublicationState,
  type PublishBody,
  type PublishOptions,
} from './publisher';
export {
  Watch,
  DEFAULT_SUBSCRIBE_EXPIRES,
  MAX_BUFFERED_UPDATES,
  type WatchEventPackage,
  type WatchOptions,
  type WatchState,
  type WatchUpdate,
} from './watch';
export { applyList, type ListInstance, type ListResource, type ListView } from './list-view';
export { ACCEPT, decodeNotifyBody, type ListPart, type NotifyBody, type WatchKind } from './notify-bodies';
export { buildPidf, readPresence, type PresenceState, type PresenceStatus, type PresenceTuple } from './pidf';
export { refreshDelayMs } from './refresh';
export { NotifyBodyError, PublishError, WatchEndedError } from './errors';
export { SubscribeError } from '@ut-testbed/sip-core';
