package registry

// place is one union: the smallest area a registry records above the
// village, with its upazila, district and division as registries write
// them in English.
type place struct {
	division, district, upazila, union string
	// code is the BBS district code that opens a 13- or 17-digit NID.
	code string
}

// upazilaUnions is one upazila of the table below and the unions of it
// that the generator enrols people in.
type upazilaUnions struct {
	division, district, code, upazila string
	unions                            []string
}

// geography is a sample of rural Bangladesh: one or two upazilas in
// districts of every division, a few unions each. Populations are spread
// over the unions evenly, so every union holds about persons/len(places)
// people: at 100,000 persons a union holds some two thousand enrolled
// beneficiaries, the density at which namesakes meet in a real union.
var geography = []upazilaUnions{
	{"Dhaka", "Dhaka", "26", "Savar", []string{"Ashulia", "Kaundia", "Tetuljhora", "Bongaon"}},
	{"Dhaka", "Dhaka", "26", "Dhamrai", []string{"Kulla", "Sombhag", "Chauhat"}},
	{"Dhaka", "Gazipur", "33", "Kaliakair", []string{"Mouchak", "Sutrapur", "Fulbaria"}},
	{"Dhaka", "Tangail", "93", "Mirzapur", []string{"Bhatgram", "Gorai", "Warshi"}},
	{"Dhaka", "Tangail", "93", "Basail", []string{"Kanchanpur", "Fulki", "Habla"}},
	{"Dhaka", "Kishoreganj", "48", "Bhairab", []string{"Shimulkandi", "Aganagar", "Sadekpur"}},
	{"Dhaka", "Kishoreganj", "48", "Katiadi", []string{"Masua", "Banagram", "Lohajuree"}},
	{"Chattogram", "Cumilla", "19", "Debidwar", []string{"Subil", "North Gunaighor", "South Gunaighor"}},
	{"Chattogram", "Noakhali", "75", "Begumganj", []string{"Chhayani", "Durgapur", "Rajganj"}},
	{"Chattogram", "Chattogram", "15", "Hathazari", []string{"Farhadabad", "Dhalai", "Gumanmardan"}},
	{"Chattogram", "Lakshmipur", "51", "Raipur", []string{"Char Mohana", "Sonapur", "Bamni"}},
	{"Rajshahi", "Rajshahi", "81", "Paba", []string{"Haripur", "Hujuripara", "Darshanpara"}},
	{"Rajshahi", "Naogaon", "64", "Manda", []string{"Bharso", "Kalikapur", "Kusumba"}},
	{"Rangpur", "Rangpur", "85", "Mithapukur", []string{"Payrabond", "Ranipukur", "Latibpur"}},
	{"Rangpur", "Kurigram", "49", "Ulipur", []string{"Bazra", "Thetrai", "Gunaigas"}},
	{"Rangpur", "Gaibandha", "32", "Sundarganj", []string{"Belka", "Dhopadanga", "Kapasia"}},
	{"Khulna", "Khulna", "47", "Dumuria", []string{"Atlia", "Bhandarpara", "Sharafpur"}},
	{"Khulna", "Jashore", "41", "Jhikargacha", []string{"Gadkhali", "Magura", "Panisara"}},
	{"Barishal", "Barishal", "06", "Bakerganj", []string{"Charamaddi", "Dudhal", "Kalaskati"}},
	{"Barishal", "Patuakhali", "78", "Kalapara", []string{"Lata Chapli", "Mithagonj", "Tiakhali"}},
	{"Sylhet", "Sylhet", "91", "Beanibazar", []string{"Alinagar", "Charkhai", "Mathiura"}},
	{"Sylhet", "Sunamganj", "90", "Chhatak", []string{"Islampur", "Noarai", "Kalaruka"}},
	{"Mymensingh", "Mymensingh", "61", "Trishal", []string{"Balipara", "Dhanikhola", "Kanthal"}},
	{"Mymensingh", "Mymensingh", "61", "Nandail", []string{"Achargaon", "Mushulli", "Rajgati"}},
}

// places flattens geography into its unions.
func places() []place {
	var ps []place
	for _, u := range geography {
		for _, un := range u.unions {
			ps = append(ps, place{division: u.division, district: u.district, upazila: u.upazila, union: un, code: u.code})
		}
	}
	return ps
}
