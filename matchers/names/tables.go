package names

// kind classifies a token of a name by the evidence it carries.
type kind uint8

const (
	kindStrong  kind = iota // a given name or family name: the evidence.
	kindMD                  // Mohammad and its abbreviations: a title before the name, a name after it.
	kindTitle               // honorifics and titles (Mst, Sree, Late, Alhaj, Dr …): never evidence.
	kindLineage             // lineage tokens (Sheikh, Syed, Chowdhury, Miah …): weak evidence.
	kindFemale              // female markers (Begum, Khatun, Akter …): weak evidence.
	kindMale                // Hindu middle markers (Kumar, Chandra, Nath): weak evidence.
)

// classify reports the kind of a normalised token (Bangla or lower-case
// Latin) and, for non-strong kinds, the canonical Latin spelling that the
// weak token is folded from, so that "Khatoon" and "খাতুন" give one token.
// Bangla literals are in the package's canonical form (nukta decomposed),
// which a test checks.
func classify(tok string) (kind, string) {
	switch tok {
	case "md", "mohd", "mohammad", "mohammed", "muhammad", "muhammed", "mohamad", "mohamed",
		"mohammod", "mahammad", "muhammod", "mahmmad", "mohamood", "mohammd", "muhamad",
		"মোঃ", "মোহাঃ", "মুহাঃ", "মোহাম্মদ", "মোহাম্মাদ", "মুহাম্মদ", "মুহাম্মাদ", "মুহম্মদ",
		"মহাম্মদ", "মোহম্মদ", "মোহাম্মেদ", "মহম্মদ":
		return kindMD, "mohammad"
	case "mst", "most", "mosammat", "mossammat", "mosammet", "musammat", "mosamat", "mossamat",
		"mosammot", "mst.", "sree", "sri", "shri", "shree", "sre", "srimoti", "srimati", "shrimati",
		"sreemoti", "smt", "late", "lt", "marhum", "marhuma", "alhaj", "alhajj", "alhaz", "alhajz",
		"haji", "hajee", "hazi", "dr", "doctor", "prof", "professor", "engr", "engineer", "advocate",
		"adv", "mr", "mrs", "ms", "janab", "bir", "muktijoddha", "muktijodda",
		"মোছাঃ", "মোসাঃ", "মোছাম্মৎ", "মোসাম্মৎ", "মোসাম্মাত", "মুসাম্মাত", "মোছাম্মাৎ", "মোছাম্মত",
		"মোসাম্মত", "শ্রী", "শ্রীঃ", "শ্রীমতি", "শ্রীমতী", "মৃত", "মরহুম", "মরহুমা", "প্রয়াত",
		"স্বর্গীয়", "আলহাজ্ব", "আলহাজ", "আলহাজ্জ", "হাজী", "হাজি", "ডাঃ", "ডক্টর", "প্রফেসর",
		"অধ্যাপক", "ইঞ্জিনিয়ার", "প্রকৌশলী", "এডভোকেট", "অ্যাডভোকেট", "জনাব", "মিসেস", "বীর",
		"মুক্তিযোদ্ধা":
		return kindTitle, ""
	case "sheikh", "shaikh", "sk", "shekh", "seikh", "sheik", "শেখ":
		return kindLineage, "sheikh"
	case "syed", "sayed", "saiyed", "syeda", "sayeda", "sayyed", "sayed.", "সৈয়দ", "সৈয়দা":
		return kindLineage, "syed"
	case "kazi", "qazi", "kaji", "কাজী", "কাজি":
		return kindLineage, "kazi"
	case "khandaker", "khondokar", "khondaker", "khandakar", "khondkar", "khandoker", "khondoker",
		"khondakar", "khandokar", "khondakhar",
		"খন্দকার", "খোন্দকার":
		return kindLineage, "khandaker"
	case "chowdhury", "choudhury", "chowdhuri", "chaudhuri", "chaudhury", "chy", "chowdhary",
		"চৌধুরী", "চৌধুরি":
		return kindLineage, "chowdhury"
	case "mollah", "molla", "mullah", "mulla", "মোল্লা", "মোল্যা":
		return kindLineage, "mollah"
	case "mia", "miah", "mian", "meah", "miya", "miyah", "mea", "মিয়া", "মিঞা", "মিয়াঁ":
		return kindLineage, "miah"
	case "bhuiyan", "bhuiya", "bhuyan", "bhuian", "bhuia", "bhuyian", "bhuiyan.", "bhuya",
		"ভূঁইয়া", "ভূইয়া", "ভূঞা", "ভুইয়া", "ভূঁঞা", "ভুঁইয়া":
		return kindLineage, "bhuiyan"
	case "talukder", "talukdar", "তালুকদার":
		return kindLineage, "talukder"
	case "sarkar", "sarker", "sircar", "shorkar", "sorkar", "সরকার":
		return kindLineage, "sarkar"
	case "majumder", "mazumder", "majumdar", "mojumder", "mazumdar", "মজুমদার":
		return kindLineage, "majumder"
	case "howlader", "hawlader", "haoladar", "hawladar", "howladar", "হাওলাদার":
		return kindLineage, "howlader"
	case "patwary", "patwari", "patoary", "patowari", "পাটোয়ারী", "পাটোয়ারি":
		return kindLineage, "patwary"
	case "mondal", "mandal", "mondol", "mondul", "মন্ডল", "মণ্ডল":
		return kindLineage, "mondal"
	case "sikder", "shikder", "sikdar", "shikdar", "শিকদার", "সিকদার":
		return kindLineage, "sikder"
	case "pramanik", "paramanik", "pramanick", "প্রামাণিক", "প্রামানিক":
		return kindLineage, "pramanik"
	case "khan", "খান":
		return kindLineage, "khan"
	case "munshi", "munsi", "মুন্সী", "মুন্সি":
		return kindLineage, "munshi"
	case "gazi", "ghazi", "গাজী", "গাজি":
		return kindLineage, "gazi"
	case "mridha", "mirdha", "মৃধা":
		return kindLineage, "mridha"
	case "akand", "akondo", "akhand", "akon", "আকন্দ", "আকন":
		return kindLineage, "akand"
	case "fakir", "fokir", "ফকির":
		return kindLineage, "fakir"
	case "sardar", "sarder", "sorder", "সরদার", "সর্দার":
		return kindLineage, "sardar"
	case "matubbar", "matbar", "মাতুব্বর", "মাতব্বর":
		return kindLineage, "matubbar"
	case "bepari", "beparee", "byapari", "ব্যাপারী", "বেপারী":
		return kindLineage, "bepari"
	case "dewan", "দেওয়ান":
		return kindLineage, "dewan"
	case "begum", "begom", "বেগম":
		return kindFemale, "begum"
	case "khatun", "khatoon", "khaton", "khatunn", "খাতুন":
		return kindFemale, "khatun"
	case "akter", "akhter", "aktar", "akhtar", "aktor", "আক্তার", "আখতার", "আকতার", "আক্তারী":
		return kindFemale, "akter"
	case "nesa", "nessa", "nisa", "nechha", "nesha", "নেছা", "নেসা", "নিসা", "নেসসা":
		return kindFemale, "nesa"
	case "bibi", "বিবি":
		return kindFemale, "bibi"
	case "banu", "bano", "বানু":
		return kindFemale, "banu"
	case "rani", "রানী", "রাণী", "রানি":
		return kindFemale, "rani"
	case "bala", "বালা":
		return kindFemale, "bala"
	case "dasi", "দাসী":
		return kindFemale, "dasi"
	case "kumar", "কুমার":
		return kindMale, "kumar"
	case "chandra", "chandro", "chondro", "চন্দ্র":
		return kindMale, "chandra"
	case "nath", "নাথ":
		return kindMale, "nath"
	}
	return kindStrong, ""
}

// letterName maps a Bangla spelling of a Latin letter's name (as in
// "এ কে এম" for A K M) to the letter, or returns 0.
func letterName(tok string) byte {
	switch tok {
	case "এ":
		return 'a'
	case "বি":
		return 'b'
	case "সি":
		return 'c'
	case "ডি":
		return 'd'
	case "ই":
		return 'e'
	case "এফ":
		return 'f'
	case "জি":
		return 'g'
	case "এইচ":
		return 'h'
	case "আই":
		return 'i'
	case "জে":
		return 'j'
	case "কে":
		return 'k'
	case "এল":
		return 'l'
	case "এম":
		return 'm'
	case "এন":
		return 'n'
	case "ও":
		return 'o'
	case "পি":
		return 'p'
	case "কিউ":
		return 'q'
	case "আর":
		return 'r'
	case "এস":
		return 's'
	case "টি":
		return 't'
	case "ইউ":
		return 'u'
	case "ভি":
		return 'v'
	case "ডব্লিউ":
		return 'w'
	case "এক্স":
		return 'x'
	case "ওয়াই":
		return 'y'
	case "জেড":
		return 'z'
	}
	return 0
}

// letterNames spells, in Bangla, the Latin letters whose names make up
// joined initials (একেএম for A.K.M.), each with its letter.
var letterNames = [...]struct {
	bn string
	l  byte
}{
	{"এইচ", 'h'}, {"এফ", 'f'}, {"এল", 'l'}, {"এম", 'm'}, {"এন", 'n'}, {"এস", 's'}, {"এক্স", 'x'},
	{"এ", 'a'}, {"বি", 'b'}, {"সি", 'c'}, {"ডি", 'd'}, {"জি", 'g'}, {"জে", 'j'}, {"কে", 'k'},
	{"পি", 'p'}, {"কিউ", 'q'}, {"আর", 'r'}, {"টি", 't'}, {"ভি", 'v'}, {"জেড", 'z'}, {"আই", 'i'},
}

// joinedInitials maps a Bangla word that is two to five letter names
// written together (একেএম, এবিএম, এসএম) to its letters ("akm"), or
// returns "". The word must open with a letter name spelt from a vowel
// (এ, আ), as initials do, so that names that happen to read as letter
// names (বিবি) are left alone.
func joinedInitials(dst []byte, w string) ([]byte, bool) {
	if len(w) < 6 || !(w[:3] == "এ" || w[:3] == "আ") {
		return dst, false
	}
	var lb [5]byte
	n := 0
	for rest := w; rest != ""; {
		found := false
		for _, ln := range letterNames {
			if len(rest) >= len(ln.bn) && rest[:len(ln.bn)] == ln.bn && n < len(lb) {
				// এ followed by a sign is not the letter name এ.
				if ln.bn == "এ" && len(rest) > 3 && !startsLetterName(rest[3:]) {
					continue
				}
				lb[n] = ln.l
				n++
				rest = rest[len(ln.bn):]
				found = true
				break
			}
		}
		if !found {
			return dst, false
		}
	}
	if n < 2 {
		return dst, false
	}
	return append(dst, lb[:n]...), true
}

// startsLetterName reports whether s opens with a letter name.
func startsLetterName(s string) bool {
	for _, ln := range letterNames {
		if len(s) >= len(ln.bn) && s[:len(ln.bn)] == ln.bn {
			return true
		}
	}
	return false
}

// loanword gives the spelling, as the transliterator writes the Bangla,
// of an English word used as a given name whose English spelling no fold
// brings near it (Jewel, জুয়েল juyel), or "".
func loanword(w string) string {
	switch w {
	case "jewel", "juwel":
		return "juel"
	case "happy", "happi":
		return "hapi"
	case "lovely", "lovly":
		return "labli"
	case "sweety", "sweeti", "suity":
		return "suiti"
	case "pinky":
		return "pinki"
	case "rocky":
		return "raki"
	case "shimul", "simul":
		return "shimul"
	case "bappy":
		return "bapi"
	case "lucky":
		return "laki"
	case "ruby":
		return "rubi"
	case "beauty", "beuty":
		return "biuti"
	case "mithu":
		return "mithu"
	}
	return ""
}

// abbrevWithDot reports whether a Bangla token is an abbreviation whose
// closing mark may be written ঃ, ':' or '.', so that all three normalise to ঃ.
func abbrevWithDot(tok string) bool {
	switch tok {
	case "মো", "মোছা", "মোসা", "ডা", "মোহা", "মুহা", "শ্রী":
		return true
	}
	return false
}

// prefixBound reports whether a folded token is written either joined to the
// next token or apart from it ("Abdul Karim", "Abdulkarim"); such tokens are
// joined before keying. The Abd- forms share one spelling because registries
// use Abdul and Abdur for the same name.
func prefixBound(folded string) (string, bool) {
	switch folded {
	case "abdul", "abdur", "abdus", "abdun", "abadul", "abadur", "abadus", "abdal", "abdar", "abdas":
		return "abdul", true
	case "abu", "al", "nur", "ume":
		return folded, true
	}
	return "", false
}

// suffixBound reports whether a folded token is written either joined to
// the previous token or apart from it ("Nasir Uddin", "Nasiruddin"). Some
// only bind after a previous token ending in n ("Kamrun Nahar").
func suffixBound(folded, prev string) bool {
	switch folded {
	case "udin", "udhin", "ula", "ulah", "ujaman", "ara":
		return true
	case "ur", "ul", "us", "uj", "un":
		// Arabic particles written apart or hyphenated (Habib-ur-Rahman,
		// আমিন উল ইসলাম) belong to the name before them: Habibur,
		// Aminul.
		return len(prev) > 1
	case "nahar", "nesa", "nisa":
		return len(prev) > 0 && prev[len(prev)-1] == 'n'
	}
	return false
}
