export * from './service';
export * from './store/types';
export * from './store/sqlite';
export * from './vectors';
export * from './subscriber';
export * from './provision';
export { answerMar } from './cx/mar';
export { answerUdr } from './sh/udr';
export { answerZhMar } from './zh/mar';
