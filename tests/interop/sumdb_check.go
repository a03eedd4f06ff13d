// sumdb_check checks Lokikirja's checkpoints and proofs with Go's golang.org/x/mod/sumdb code,
// which no one on the project wrote (Debian's golang-golang-x-mod-dev). Build it with
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o sumdb_check sumdb_check.go
//
// Usage (exit 0: accepted; exit 1: rejected, with the reason on stderr):
//
//	sumdb_check note LOG_VKEY NOTE_FILE [WITNESS_VKEY...]
//	sumdb_check inclusion LOG_VKEY TLOG_PROOF_FILE
//	sumdb_check consistency CONSISTENCY_JSON_FILE
//	sumdb_check tiles LOG_VKEY DIR INDEX...
//
// note: note.Open with the log's verifier (note.NewVerifier) and, for each witness key, a verifier
// of c2sp.org/tlog-cosignature v1 (type 0x04, written here: sumdb/note knows only type 0x01); it
// prints the checkpoint's origin, size, root and the names whose signatures verified.
// inclusion: a c2sp.org/tlog-proof@v1 whose extra data is the leaf; tlog.CheckRecord.
// consistency: Lokikirja's JSON consistency proof; tlog.CheckTree.
// tiles: a c2sp.org/tlog-tiles folder (publish-tiles): DIR/checkpoint opened as in note, then
// tlog.TileHashReader over DIR's tiles (c2sp.org/tlog-tiles paths are sumdb's tile/8/... without
// the height) authenticates them against the root; tlog.TreeHash, and for each INDEX the entry
// from its bundle (u16 length-prefixed), tlog.ProveRecord from the tiles and tlog.CheckRecord.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type cosigner struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

func (c cosigner) Name() string    { return c.name }
func (c cosigner) KeyHash() uint32 { return c.hash }
func (c cosigner) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	ts := binary.BigEndian.Uint64(sig[:8])
	signed := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", ts)), msg...)
	return ed25519.Verify(c.pub, signed, sig[8:])
}

func cosignerOf(vkey string) (note.Verifier, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("malformed witness vkey")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		return nil, fmt.Errorf("not a cosignature/v1 vkey (type 0x04)")
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n"), raw...))
	hash := binary.BigEndian.Uint32(h[:4])
	if fmt.Sprintf("%08x", hash) != parts[1] {
		return nil, fmt.Errorf("witness vkey: key id does not match")
	}
	return cosigner{parts[0], hash, ed25519.PublicKey(raw[1:])}, nil
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func open(msg []byte, logKey string, witnessKeys []string) (*note.Note, checkpoint, error) {
	var cp checkpoint
	v, err := note.NewVerifier(logKey)
	if err != nil {
		return nil, cp, err
	}
	verifiers := []note.Verifier{v}
	for _, w := range witnessKeys {
		c, err := cosignerOf(w)
		if err != nil {
			return nil, cp, err
		}
		verifiers = append(verifiers, c)
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		return nil, cp, err
	}
	logSigned := false
	for _, s := range n.Sigs {
		if s.Name == v.Name() && s.Hash == v.KeyHash() {
			logSigned = true
		}
	}
	if !logSigned {
		return nil, cp, fmt.Errorf("no signature of the log key")
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return nil, cp, fmt.Errorf("malformed checkpoint text")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || strconv.FormatInt(size, 10) != lines[1] {
		return nil, cp, fmt.Errorf("malformed tree size")
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return nil, cp, err
	}
	return n, checkpoint{lines[0], size, root}, nil
}

type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(d.dir + "/tile/" + strings.TrimPrefix(t.Path(), "tile/8/"))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (d dirTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func entryOf(dir string, size, index int64) ([]byte, error) {
	t := tlog.Tile{H: 8, L: 0, N: index / 256, W: 256}
	if rest := size - t.N*256; rest < 256 {
		t.W = int(rest)
	}
	data, err := os.ReadFile(dir + "/tile/entries/" + strings.TrimPrefix(t.Path(), "tile/8/0/"))
	if err != nil {
		return nil, err
	}
	for i := int64(0); len(data) >= 2; i++ {
		n := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+n {
			break
		}
		if i == index%256 {
			return data[2 : 2+n], nil
		}
		data = data[2+n:]
	}
	return nil, fmt.Errorf("entry %d is not in its bundle", index)
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: sumdb_check note|inclusion|consistency ...")
	}
	switch os.Args[1] {
	case "note":
		msg, err := os.ReadFile(os.Args[3])
		if err != nil {
			fail("%v", err)
		}
		n, cp, err := open(msg, os.Args[2], os.Args[4:])
		if err != nil {
			fail("note rejected: %v", err)
		}
		names := []string{}
		for _, s := range n.Sigs {
			names = append(names, s.Name)
		}
		out, _ := json.Marshal(map[string]interface{}{"origin": cp.origin, "tree_size": cp.size,
			"root_hash": hex.EncodeToString(cp.root[:]), "verified": names})
		fmt.Println(string(out))
	case "inclusion":
		text, err := os.ReadFile(os.Args[3])
		if err != nil {
			fail("%v", err)
		}
		split := bytes.Index(text, []byte("\n\n"))
		if split < 0 {
			fail("tlog proof rejected: no blank line")
		}
		lines := strings.Split(string(text[:split]), "\n")
		if lines[0] != "c2sp.org/tlog-proof@v1" {
			fail("tlog proof rejected: bad header")
		}
		lines = lines[1:]
		var extra []byte
		if strings.HasPrefix(lines[0], "extra ") {
			extra, err = base64.StdEncoding.DecodeString(lines[0][6:])
			if err != nil {
				fail("tlog proof rejected: bad extra")
			}
			lines = lines[1:]
		}
		if !strings.HasPrefix(lines[0], "index ") {
			fail("tlog proof rejected: no index line")
		}
		index, err := strconv.ParseInt(lines[0][6:], 10, 64)
		if err != nil {
			fail("tlog proof rejected: bad index")
		}
		var proof tlog.RecordProof
		for _, l := range lines[1:] {
			h, err := tlog.ParseHash(l)
			if err != nil {
				fail("tlog proof rejected: bad hash line")
			}
			proof = append(proof, h)
		}
		_, cp, err := open(text[split+2:], os.Args[2], nil)
		if err != nil {
			fail("tlog proof rejected: checkpoint: %v", err)
		}
		if err := tlog.CheckRecord(proof, cp.size, cp.root, index, tlog.RecordHash(extra)); err != nil {
			fail("tlog proof rejected: %v", err)
		}
		fmt.Printf("{\"index\": %d, \"tree_size\": %d}\n", index, cp.size)
	case "consistency":
		data, err := os.ReadFile(os.Args[2])
		if err != nil {
			fail("%v", err)
		}
		var doc struct {
			FirstSize  int64    `json:"first_size"`
			SecondSize int64    `json:"second_size"`
			FirstRoot  string   `json:"first_root"`
			SecondRoot string   `json:"second_root"`
			Proof      []string `json:"proof"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			fail("consistency proof rejected: %v", err)
		}
		hashOf := func(s string) tlog.Hash {
			var h tlog.Hash
			b, err := hex.DecodeString(s)
			if err != nil || len(b) != len(h) {
				fail("consistency proof rejected: bad hash %q", s)
			}
			copy(h[:], b)
			return h
		}
		var proof tlog.TreeProof
		for _, p := range doc.Proof {
			proof = append(proof, hashOf(p))
		}
		err = tlog.CheckTree(proof, doc.SecondSize, hashOf(doc.SecondRoot), doc.FirstSize, hashOf(doc.FirstRoot))
		if err != nil {
			fail("consistency proof rejected: %v", err)
		}
		fmt.Printf("{\"first_size\": %d, \"second_size\": %d}\n", doc.FirstSize, doc.SecondSize)
	case "tiles":
		dir := os.Args[3]
		msg, err := os.ReadFile(dir + "/checkpoint")
		if err != nil {
			fail("%v", err)
		}
		_, cp, err := open(msg, os.Args[2], nil)
		if err != nil {
			fail("tiles rejected: checkpoint: %v", err)
		}
		hr := tlog.TileHashReader(tlog.Tree{N: cp.size, Hash: cp.root}, dirTiles{dir})
		th, err := tlog.TreeHash(cp.size, hr)
		if err != nil || th != cp.root {
			fail("tiles rejected: the tree hash from the tiles: %v", err)
		}
		for _, arg := range os.Args[4:] {
			index, err := strconv.ParseInt(arg, 10, 64)
			if err != nil {
				fail("bad index %q", arg)
			}
			entry, err := entryOf(dir, cp.size, index)
			if err != nil {
				fail("tiles rejected: %v", err)
			}
			proof, err := tlog.ProveRecord(cp.size, index, hr)
			if err != nil {
				fail("tiles rejected: no proof of %d from the tiles: %v", index, err)
			}
			if err := tlog.CheckRecord(proof, cp.size, cp.root, index, tlog.RecordHash(entry)); err != nil {
				fail("tiles rejected: entry %d: %v", index, err)
			}
		}
		fmt.Printf("{\"tree_size\": %d, \"root_hash\": \"%s\"}\n", cp.size, hex.EncodeToString(cp.root[:]))
	default:
		fail("unknown command %s", os.Args[1])
	}
}
