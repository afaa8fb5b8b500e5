/** The UE's USIM model (TS 33.102 6.3.3, Annex C.2). */
export * from './usim-model';
