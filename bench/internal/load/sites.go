package load

import (
	"fmt"
	"strconv"
	"strings"
)

// Sites rotates the Origin and the path together over Count sites: site n
// serves under Prefix+n+"/"+File and allows https://siten.example and any
// subdomain of it. Of every ten consecutive positions one is refused: an
// origin of the next site (another customer's) asking for this site's path.
type Sites struct {
	Count  int
	Prefix string // "/s/"
	File   string // the file requested under each site's prefix
	// Refused is the status a refused position must be answered with; 0
	// means the same as the allowed ones (a GET: the asset without CORS headers).
	Refused int
	// RefusedDomain, when set, replaces "example" in the refused positions'
	// origins: https://site(n+1).RefusedDomain. The zero value sends the
	// next site's own origin, which a table of one rule allowing every site
	// would allow; "invalid" keeps those positions refused there, with as
	// many distinct refused origins as before.
	RefusedDomain string
}

// refusedDomain is the domain of the refused positions' origins.
func (s *Sites) refusedDomain() string {
	if s.RefusedDomain == "" {
		return "example"
	}
	return s.RefusedDomain
}

// siteSlots spreads each site's requests over its origins: two exact, the
// rest subdomains one or two labels deep, one in ten refused. Five distinct
// origins a site keep 10,000 sites' (origin, path) pairs within corsedge's
// default 65,536-entry decision cache, as with one rule.
var siteSlots = [10]string{"", "", "www.", "www.", "www.", "cdn.", "cdn.", "a.b.", "a.b.", refusedSlot}

const refusedSlot = "-"

// At returns position i of the rotation (any i ≥ 0): its Origin, its path
// and whether the origin is allowed there. Position i is site i%Count+1;
// its slot moves on by one every Count positions, so that every ten
// consecutive positions hold one refusal and every 10×Count positions hold
// each (site, slot) pair once.
func (s *Sites) At(i int64) (origin, path string, allowed bool) {
	n := int64(s.Count)
	site := i%n + 1
	slot := siteSlots[(i+i/n)%10]
	path = s.Prefix + strconv.FormatInt(site, 10) + "/" + s.File
	if slot == refusedSlot {
		other := site%n + 1
		if n == 1 {
			other = 2 // no other site: an origin no rule names
		}
		return "https://site" + strconv.FormatInt(other, 10) + "." + s.refusedDomain(), path, false
	}
	return "https://" + slot + "site" + strconv.FormatInt(site, 10) + ".example", path, true
}

// Fixed returns req, a request with a Sites rotation, as the single
// request of position i, and whether that position is allowed.
func (req Request) Fixed(i int64) (Request, bool) {
	origin, path, allowed := req.Sites.At(i)
	req.Sites, req.Path = nil, path
	req.Header = append([][2]string{{"Origin", origin}}, req.Header...)
	return req, allowed
}

// lua is the Lua of Sites.At, for wrk: each request takes the next
// position; each wrk thread starts a million positions further on and
// counts the refused positions it sends, which done() adds up, so that the
// 403s wrk counts as errors can be told from real ones.
func (s *Sites) lua(start int64) string {
	slots := make([]string, len(siteSlots))
	for i, sl := range siteSlots {
		slots[i] = luaString(sl)
	}
	return fmt.Sprintf(`local count, prefix, file, pos = %d, %s, %s, %d
local refused_domain = %s
local slots = {%s}
local threads = {}
function setup(thread)
  thread:set("offset", #threads * 1000003)
  table.insert(threads, thread)
end
refused = 0
function request()
  if offset then pos, offset = pos + offset, nil end
  local site = pos %% count + 1
  local slot = slots[(pos + math.floor(pos / count)) %% 10 + 1]
  pos = pos + 1
  if slot == %s then
    local other = site %% count + 1
    if count == 1 then other = 2 end
    refused = refused + 1
    wrk.headers["Origin"] = "https://site" .. other .. "." .. refused_domain
  else
    wrk.headers["Origin"] = "https://" .. slot .. "site" .. site .. ".example"
  end
  return wrk.format(nil, prefix .. site .. "/" .. file)
end
function refused_sent()
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("refused") end
  return n
end
`, s.Count, luaString(s.Prefix), luaString(s.File), start, luaString(s.refusedDomain()), strings.Join(slots, ", "), luaString(refusedSlot))
}
