import { telemetry } from './realtime-telemetry.js';

describe('RealtimeTelemetry without an OpenTelemetry SDK', () => {
  it('is off: the API is installed here, but with no meter provider registered nothing would be recorded or traced', async () => {
    await telemetry.load();
    expect(telemetry.enabled).toBe(false);
    expect(telemetry.observeMessage({}, '/', 'echo')).toBeUndefined();
  });
});
