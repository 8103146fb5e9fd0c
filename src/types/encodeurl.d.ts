// encodeurl (how Express's res.redirect encodes a Location) ships no types.
declare module 'encodeurl' {
  export default function encodeUrl(url: string): string;
}
