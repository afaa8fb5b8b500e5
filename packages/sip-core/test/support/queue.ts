export { EventQueue as Queue } from '../../src/util/event-queue';
