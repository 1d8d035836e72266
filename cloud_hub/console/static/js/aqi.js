// AQI and health colours. AQI bands come from the hub (pm25.aqi) via /console/config.json.
export const HEALTH_COLOURS = {
  online: "#2e9d4f", degraded: "#e0a100", offline: "#c8322f", never_seen: "#8a8f98", revoked: "#3b3f46",
};

export function aqiBand(bands, aqi) {
  if (aqi === null || aqi === undefined) return null;
  return bands.find((b) => aqi <= b.aqi_hi) ?? bands[bands.length - 1];
}

export function aqiColour(bands, aqi) {
  return aqiBand(bands, aqi)?.colour ?? "#b8bcc4";
}

// The colour of an AQI category index (0..5, what readings carry on the wire).
export function categoryColour(bands, category) {
  return bands[category]?.colour ?? "#b8bcc4";
}
