package protocol

import "testing"

// FuzzDecoders feeds arbitrary datagrams to every decoder a driver applies
// to bytes from the network: none may panic, and a datagram Validate accepts
// must decode as its type says.
func FuzzDecoders(f *testing.F) {
	seeds := [][]byte{
		make([]byte, 32), make([]byte, 40),
	}
	b := make([]byte, 64)
	DataHeader{FrameLength: 37, Flags: FlagsUnfragmented, Type: TypeData}.Encode(b)
	seeds = append(seeds, append([]byte(nil), b...))
	s := make([]byte, SetupLength)
	Setup{TermLength: 1 << 16, MTU: 1408}.Encode(s)
	seeds = append(seeds, s)
	sm := make([]byte, SMWithGroupTagLength)
	StatusMessage{HasGroupTag: true}.Encode(sm)
	seeds = append(seeds, sm)
	e := make([]byte, 64)
	n := ErrorFrame{Text: []byte("x")}.Encode(e)
	seeds = append(seeds, e[:n])
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dg []byte) {
		typ, err := Validate(dg)
		_, _ = ScanDataDatagram(dg, 1<<16)
		_, _ = DecodeSetup(dg)
		_, _ = DecodeStatusMessage(dg)
		_, _ = DecodeNak(dg)
		_, _ = DecodeError(dg)
		_, _ = DecodeRTTM(dg)
		_, _ = DecodeResponseSetup(dg)
		if len(dg) > HeaderLength {
			rest := dg[HeaderLength:]
			for i := 0; i < 64 && len(rest) > 0; i++ {
				_, n, err := NextResolutionEntry(rest)
				if err != nil || n <= 0 {
					break
				}
				rest = rest[n:]
			}
		}
		if err != nil {
			return
		}
		switch typ {
		case TypeData, TypePad:
			if _, err := DecodeDataHeader(dg); err != nil {
				t.Fatalf("valid data frame failed to decode: %v", err)
			}
		case TypeNak:
			if _, err := DecodeNak(dg); err != nil && int32(le.Uint32(dg)) >= NakLength {
				t.Fatalf("valid NAK failed to decode: %v", err)
			}
		}
	})
}
